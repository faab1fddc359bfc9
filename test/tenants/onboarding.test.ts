import type { AnyListener } from '../../src/events/listener';
import { ONBOARDING_LISTENERS } from '../../src/services/tenant-onboarding';
import { errorCode } from '../support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from '../support/herald';
import {
  RETRY_ONBOARDING,
  TENANT,
  createTenant,
  signUp,
  tenantEventNames,
  tenantSchemas,
  uniqueSlug,
  waitForStatus,
  type Account,
} from '../support/tenants';
import { waitFor } from '../support/wait';
import { TENANT_EVENTS, connect } from '../support/ws-client';

const ADMIN_EMAIL = uniqueEmail('platform-admin');
const ONBOARDING_EVENTS = [
  'tenant.created',
  'tenant.database.created',
  'tenant.onboarding.setup_admin_user',
  'tenant.onboarding.configure_settings',
  'tenant.onboarding.send_setup_guide',
  'tenant.onboarding.completed',
];

/** Failures to inject, keyed `listener:slug`: how many runs of that step fail for that tenant. */
const faults = new Map<string, number>();
let t: TestHerald;
let admin: Account;

/**
 * Herald's `wrapListener` hook: onboarding steps retry fast here (3 attempts, 20 ms backoff) and
 * fail while this file has armed a fault for the tenant (found by slug, since steps only carry ids).
 */
function injectFaults(listener: AnyListener): AnyListener {
  if (!(Object.values(ONBOARDING_LISTENERS) as string[]).includes(listener.name)) return listener;
  return {
    ...listener,
    maxAttempts: 3,
    backoffMs: 20,
    async handle(event, ctx) {
      const [row] = await t.db.query<{ slug: string }>(`SELECT slug FROM tenants WHERE id = $1`, [event.payload.tenantId]);
      const key = `${listener.name}:${row?.slug}`;
      const left = faults.get(key) ?? 0;
      if (left > 0) {
        faults.set(key, left - 1);
        throw new Error(`injected failure in ${listener.name}`);
      }
      return listener.handle(event, ctx);
    },
  };
}

beforeAll(async () => {
  t = await startTestHerald({ PLATFORM_ADMIN_EMAILS: ADMIN_EMAIL }, { wrapListener: injectFaults });
  admin = await signUp(t, ADMIN_EMAIL, { verified: true });
});
afterAll(() => t.stop());

async function tenantAs(account: Account, id: string) {
  const response = await t.gql(TENANT, { id }, account.token);
  expect(response.errors).toBeUndefined();
  return response.data!.tenant;
}

describe('tenant onboarding', () => {
  it('takes a new tenant to ACTIVE through every step, in order, and sends both emails', async () => {
    const owner = await signUp(t);
    const created = await createTenant(t, owner, uniqueSlug('flow'), 'Flow & Co');
    expect(created).toMatchObject({
      status: 'PROVISIONING',
      onboarding: { step: 'PROVISION_SCHEMA', status: 'IN_PROGRESS', completedAt: null, error: null },
      members: [{ role: 'OWNER', user: { id: owner.userId, email: owner.email } }],
    });

    await waitForStatus(t, created.id, 'ACTIVE');
    const tenant = await tenantAs(owner, created.id);
    expect(tenant.onboarding).toMatchObject({ step: 'COMPLETE', status: 'COMPLETED', error: null });
    expect(Date.parse(tenant.onboarding.completedAt)).toBeGreaterThanOrEqual(Date.parse(created.createdAt));

    const names = await tenantEventNames(t, created.id);
    expect(names.filter((name) => ONBOARDING_EVENTS.includes(name))).toEqual(ONBOARDING_EVENTS);
    expect(names).not.toContain('tenant.onboarding.failed');

    // The schema exists, migrated, with the owner as its admin and the default settings.
    expect(await tenantSchemas(t, created.id)).toHaveLength(1);
    const schema = `tenant_${created.id.replace(/-/g, '')}`;
    const settings = await t.db.query<{ key: string; value: unknown }>(`SELECT key, value FROM "${schema}".settings ORDER BY key`);
    expect(Object.fromEntries(settings.map((s) => [s.key, s.value]))).toMatchObject({
      'admin.userId': owner.userId,
      locale: 'en',
      timeZone: 'UTC',
    });

    const guide = await waitFor(() => t.smtp.to(owner.email).find((m) => m.subject.includes('Getting started')), {
      what: 'the setup guide',
    });
    const notice = await waitFor(() => t.smtp.to(ADMIN_EMAIL).find((m) => m.subject.includes(created.slug)), {
      what: 'the platform admin notice',
    });
    for (const mail of [guide, notice]) {
      expect(mail.raw).toMatch(/Content-Type: text\/plain/i);
      expect(mail.raw).toMatch(/Content-Type: text\/html/i);
    }
    expect(guide.raw).toContain('<strong>Flow &#38; Co</strong>'); // the HTML part escapes the name

    // The admins' addresses stay out of the tenant's events; the notice is a platform-level event.
    const requests = await t.db.query<{ tenant_id: string | null }>(
      `SELECT tenant_id FROM events WHERE name = 'notification.email.send' AND payload->>'to' = $1`,
      [ADMIN_EMAIL],
    );
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((row) => row.tenant_id === null)).toBe(true);
  });

  it('retries a provisioning that fails twice, then completes it once', async () => {
    const owner = await signUp(t);
    const slug = uniqueSlug('flaky');
    faults.set(`${ONBOARDING_LISTENERS.PROVISION_SCHEMA}:${slug}`, 2);
    const created = await createTenant(t, owner, slug);

    await waitForStatus(t, created.id, 'ACTIVE');
    const [delivery] = await t.db.query<{ attempts: number; status: string }>(
      `SELECT d.attempts, d.status FROM deliveries d JOIN events e ON e.id = d.event_id
       WHERE e.tenant_id = $1 AND e.name = 'tenant.created' AND d.listener = $2`,
      [created.id, ONBOARDING_LISTENERS.PROVISION_SCHEMA],
    );
    expect(delivery).toEqual({ attempts: 3, status: 'done' });
    const names = await tenantEventNames(t, created.id);
    expect(names.filter((name) => name === 'tenant.database.created')).toHaveLength(1);
    expect(names).not.toContain('tenant.onboarding.failed');
    expect(faults.get(`${ONBOARDING_LISTENERS.PROVISION_SCHEMA}:${slug}`)).toBe(0);
  });

  it('ends FAILED with the reason when a step keeps failing, and a platform admin retry completes it', async () => {
    const owner = await signUp(t);
    const slug = uniqueSlug('broken');
    const fault = `${ONBOARDING_LISTENERS.CONFIGURE_SETTINGS}:${slug}`;
    faults.set(fault, Number.POSITIVE_INFINITY);
    const created = await createTenant(t, owner, slug);
    await waitForStatus(t, created.id, 'FAILED');

    // Platform admins read the step's last error; the owner a plain explanation, no internals.
    expect((await tenantAs(admin, created.id)).onboarding).toMatchObject({
      step: 'CONFIGURE_SETTINGS',
      status: 'FAILED',
      completedAt: null,
      error: expect.stringContaining('injected failure in configure-tenant-settings'),
    });
    const seenByOwner = (await tenantAs(owner, created.id)).onboarding;
    expect(seenByOwner).toMatchObject({ step: 'CONFIGURE_SETTINGS', status: 'FAILED' });
    expect(seenByOwner.error).not.toContain('injected');
    const failedEvents = await t.db.query<{ payload: Record<string, unknown> }>(
      `SELECT payload FROM events WHERE tenant_id = $1 AND name = 'tenant.onboarding.failed'`,
      [created.id],
    );
    expect(failedEvents.map((e) => e.payload)).toEqual([
      { tenantId: created.id, step: 'CONFIGURE_SETTINGS', listener: 'configure-tenant-settings', attempts: 3 },
    ]);

    expect(errorCode(await t.gql(RETRY_ONBOARDING, { id: created.id }, owner.token))).toBe('FORBIDDEN');

    faults.delete(fault); // the cause is fixed
    const retried = await t.gql(RETRY_ONBOARDING, { id: created.id }, admin.token);
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.retryTenantOnboarding).toMatchObject({
      status: 'PROVISIONING',
      onboarding: { step: 'CONFIGURE_SETTINGS', status: 'IN_PROGRESS', error: null },
    });

    await waitForStatus(t, created.id, 'ACTIVE');
    const names = await tenantEventNames(t, created.id);
    const tail = names.slice(names.indexOf('tenant.onboarding.retried'));
    expect(tail.filter((name) => ONBOARDING_EVENTS.includes(name))).toEqual(ONBOARDING_EVENTS.slice(3));
    expect((await tenantAs(owner, created.id)).onboarding).toMatchObject({ step: 'COMPLETE', status: 'COMPLETED', error: null });

    // Nothing is dead any more, so a second retry has nothing to do.
    expect(errorCode(await t.gql(RETRY_ONBOARDING, { id: created.id }, admin.token))).toBe('CONFLICT');
  });

  it('streams the onboarding live on tenantEvents to members only, without the platform-level mail', async () => {
    const owner = await signUp(t);
    const outsider = await signUp(t);
    const created = await createTenant(t, owner);
    const [{ seq }] = await t.db.query<{ seq: string }>(
      `SELECT (seq - 1)::text AS seq FROM events WHERE tenant_id = $1 AND name = 'tenant.created'`,
      [created.id],
    );
    const ws = connect(t.url, owner.token);
    const live = ws.subscribe(TENANT_EVENTS, { tenantId: created.id, after: seq });
    const streamed = () => live.results.map((result) => result.data?.tenantEvents?.name);
    await waitFor(() => streamed().includes('tenant.onboarding.completed'), { what: 'the onboarding to arrive live' });
    expect(streamed().filter((name) => ONBOARDING_EVENTS.includes(name))).toEqual(ONBOARDING_EVENTS);
    expect(JSON.stringify(live.results)).not.toContain(ADMIN_EMAIL);
    ws.dispose();

    const stranger = connect(t.url, outsider.token);
    const refused = stranger.subscribe(TENANT_EVENTS, { tenantId: created.id });
    await waitFor(() => refused.error ?? refused.results.length > 0, { what: 'the refusal' });
    expect(JSON.stringify(refused.error ?? refused.results)).toContain('NOT_FOUND');
    stranger.dispose();
  });
});
