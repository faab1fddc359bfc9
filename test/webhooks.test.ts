import { Webhook } from 'standardwebhooks';
import { errorCode, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { AUDIT_LOG, UPDATE_TENANT, createActiveTenant, join, signUp, type Account } from './support/tenants';
import { waitFor } from './support/wait';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';
import {
  ATTEMPTS,
  CREATE_ENDPOINT,
  DELETE_ENDPOINT,
  ENDPOINTS,
  REPLAY,
  RETRY_MESSAGE,
  ROTATE_SECRET,
  SEND_TEST,
  UPDATE_ENDPOINT,
  createEndpoint,
  typesOf,
  verified,
} from './support/webhooks';

/**
 * Signed webhooks (issue 16) through the real API, delivered over real HTTP to a receiver on
 * loopback (so WEBHOOK_ALLOW_PRIVATE_NETWORKS is on here; test/webhook-network.test.ts runs
 * without it), signatures checked with the `standardwebhooks` package, on a shortened schedule.
 */
const ADMIN_EMAIL = uniqueEmail('platform-admin');
let t: TestHerald;
let receiver: WebhookReceiver;
let owner: Account;
let tenant: { id: string };
const secrets: string[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  t = await startTestHerald({
    PLATFORM_ADMIN_EMAILS: ADMIN_EMAIL,
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    WEBHOOK_RETRY_SCHEDULE: '0,300ms,300ms',
  });
  owner = await signUp(t, undefined, { verified: true });
  tenant = await createActiveTenant(t, owner);
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await receiver?.close();
});

const must = async (response: Promise<GraphQLResponse>) => {
  const settled = await response;
  if (settled.errors) throw new Error(JSON.stringify(settled.errors));
  return settled.data!;
};
const endpoint = async (path: string, input: { eventTypes?: string[] } = {}, tenantId = tenant.id, token = owner.token) => {
  const created = await createEndpoint(t, token, tenantId, { url: `${receiver.url}${path}`, ...input });
  secrets.push(created.secret);
  return created;
};
const renameTenant = async (name = `Acme ${Date.now()}`) => must(t.gql(UPDATE_TENANT, { id: tenant.id, input: { name } }, owner.token));
const attemptsOf = async (endpointId: string) =>
  (await must(t.gql(ATTEMPTS, { endpointId, first: 50 }, owner.token))).webhookAttempts.edges.map((e: { node: any }) => e.node).reverse();
const eventsNamed = (name: string, endpointId: string) =>
  t.db.query<{ id: string; payload: any }>(`SELECT id, payload FROM events WHERE name = $1 AND payload->>'endpointId' = $2`, [name, endpointId]);

describe('endpoints', () => {
  it('shows the whsec_ secret once, keeps it encrypted, records the change and its audit entry', async () => {
    const response = await must(t.gql(CREATE_ENDPOINT, {
      tenantId: tenant.id,
      input: { url: `${receiver.url}/created`, eventTypes: ['tenant.updated'], description: 'CRM' },
    }, owner.token));
    const { secret, endpoint: created } = response.createWebhookEndpoint;
    secrets.push(secret);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(created).toMatchObject({ tenantId: tenant.id, url: `${receiver.url}/created`, eventTypes: ['tenant.updated'], description: 'CRM', enabled: true, disabledReason: null });

    const listed = (await must(t.gql(ENDPOINTS, { tenantId: tenant.id }, owner.token))).webhookEndpoints;
    expect(listed.map((e: { id: string }) => e.id)).toContain(created.id);
    const [row] = await t.db.query<{ secret_encrypted: string }>(`SELECT secret_encrypted FROM webhook_endpoints WHERE id = $1`, [created.id]);
    expect(row.secret_encrypted).not.toContain(secret.slice(6));
    expect(row.secret_encrypted).toMatch(/^v1\./);

    const [event] = await eventsNamed('webhook.endpoint.created', created.id);
    expect(event.payload).toEqual({ tenantId: tenant.id, endpointId: created.id, host: `127.0.0.1:${receiver.port}`, eventTypes: ['tenant.updated'] });
    await waitFor(async () => {
      const log = await must(t.gql(AUDIT_LOG, { tenantId: tenant.id, first: 50 }, owner.token));
      return log.auditLog.edges.some((e: { node: { action: string; subjectId: string } }) => e.node.action === 'webhook.endpoint.created' && e.node.subjectId === created.id);
    }, { what: 'the audit entry of webhook.endpoint.created' });
  });

  it('updates, disables, enables and deletes, each with its event', async () => {
    const { id } = await endpoint('/lifecycle');
    const updated = await must(t.gql(UPDATE_ENDPOINT, { id, input: { description: 'billing', eventTypes: ['tenant.member.added'] } }, owner.token));
    expect(updated.updateWebhookEndpoint).toMatchObject({ description: 'billing', eventTypes: ['tenant.member.added'], enabled: true });
    const disabled = await must(t.gql(UPDATE_ENDPOINT, { id, input: { enabled: false } }, owner.token));
    expect(disabled.updateWebhookEndpoint).toMatchObject({ enabled: false, disabledReason: 'disabled by a tenant admin' });
    const enabled = await must(t.gql(UPDATE_ENDPOINT, { id, input: { enabled: true } }, owner.token));
    expect(enabled.updateWebhookEndpoint).toMatchObject({ enabled: true, disabledReason: null });
    expect((await must(t.gql(DELETE_ENDPOINT, { id }, owner.token))).deleteWebhookEndpoint).toBe(true);
    const listed = (await must(t.gql(ENDPOINTS, { tenantId: tenant.id }, owner.token))).webhookEndpoints;
    expect(listed.map((e: { id: string }) => e.id)).not.toContain(id);
    expect(errorCode(await t.gql(UPDATE_ENDPOINT, { id, input: { description: 'x' } }, owner.token))).toBe('NOT_FOUND');

    const names = (await t.db.query<{ name: string }>(`SELECT name FROM events WHERE payload->>'endpointId' = $1 ORDER BY seq`, [id])).map((r) => r.name);
    expect(names).toEqual([
      'webhook.endpoint.created',
      'webhook.endpoint.updated',
      'webhook.endpoint.disabled',
      'webhook.endpoint.enabled',
      'webhook.endpoint.deleted',
    ]);
  });

  it.each([
    ['another scheme', 'ftp://example.com/hook', 'url'],
    ['credentials', 'https://user:password@example.com/hook', 'url'],
    ['no URL', 'not a url', 'url'],
    ['a URL over 2,048 characters', `https://example.com/${'a'.repeat(2100)}`, 'url'],
  ])('refuses a URL with %s', async (_, url, field) => {
    const response = await t.gql(CREATE_ENDPOINT, { tenantId: tenant.id, input: { url } }, owner.token);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0].extensions!.field).toBe(field);
  });

  it('refuses event types that are not in the catalog, and a description with control characters', async () => {
    const unknown = await t.gql(CREATE_ENDPOINT, { tenantId: tenant.id, input: { url: `${receiver.url}/x`, eventTypes: ['tenant.nope'] } }, owner.token);
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0].extensions!.field).toBe('eventTypes');
    const control = await t.gql(CREATE_ENDPOINT, { tenantId: tenant.id, input: { url: `${receiver.url}/x`, description: 'a\u0000b' } }, owner.token);
    expect(errorCode(control)).toBe('BAD_USER_INPUT');
  });
});

describe('who may manage endpoints', () => {
  let admin: Account;
  let member: Account;
  let outsider: Account;
  let platformAdmin: Account;
  let target: { id: string };

  beforeAll(async () => {
    [admin, member, outsider] = await Promise.all([signUp(t), signUp(t), signUp(t)]);
    platformAdmin = await signUp(t, ADMIN_EMAIL, { verified: true });
    await join(t, owner, tenant.id, admin, 'ADMIN');
    await join(t, owner, tenant.id, member, 'MEMBER');
    target = await endpoint('/matrix');
  }, 60_000);

  it('lets OWNER, ADMIN and platform admins do everything', async () => {
    for (const who of [owner, admin, platformAdmin]) {
      const created = await createEndpoint(t, who.token, tenant.id, { url: `${receiver.url}/by-role` });
      secrets.push(created.secret);
      expect((await t.gql(ENDPOINTS, { tenantId: tenant.id }, who.token)).errors).toBeUndefined();
      expect((await t.gql(UPDATE_ENDPOINT, { id: target.id, input: { description: 'ok' } }, who.token)).errors).toBeUndefined();
      expect((await t.gql(ATTEMPTS, { endpointId: target.id }, who.token)).errors).toBeUndefined();
      const rotated = await must(t.gql(ROTATE_SECRET, { id: created.id }, who.token));
      secrets.push(rotated.rotateWebhookSecret.secret);
      expect((await t.gql(DELETE_ENDPOINT, { id: created.id }, who.token)).errors).toBeUndefined();
    }
  });

  it.each([
    ['a MEMBER', () => member, 'FORBIDDEN'],
    ['a signed-in non-member', () => outsider, 'NOT_FOUND'],
  ])('refuses %s every operation', async (_, who, code) => {
    const token = who().token;
    const calls: [string, Record<string, unknown>][] = [
      [CREATE_ENDPOINT, { tenantId: tenant.id, input: { url: `${receiver.url}/nope` } }],
      [ENDPOINTS, { tenantId: tenant.id }],
      [UPDATE_ENDPOINT, { id: target.id, input: { description: 'mine now' } }],
      [DELETE_ENDPOINT, { id: target.id }],
      [ROTATE_SECRET, { id: target.id }],
      [SEND_TEST, { id: target.id }],
      [ATTEMPTS, { endpointId: target.id }],
      [RETRY_MESSAGE, { endpointId: target.id, eventId: '00000000-0000-7000-8000-000000000000' }],
      [REPLAY, { endpointId: target.id, since: '2020-01-01T00:00:00Z' }],
    ];
    for (const [query, variables] of calls) {
      const response = await t.gql(query, variables, token);
      expect({ query: query.slice(0, 30), code: errorCode(response) }).toEqual({ query: query.slice(0, 30), code });
      expect(response.text).not.toContain('whsec_');
    }
    expect(errorCode(await t.gql(ENDPOINTS, { tenantId: tenant.id }))).toBe('UNAUTHENTICATED');
    const [row] = await t.db.query<{ description: string | null; deleted_at: Date | null }>(
      `SELECT description, deleted_at FROM webhook_endpoints WHERE id = $1`,
      [target.id],
    );
    expect(row.deleted_at).toBeNull();
    expect(row.description).not.toBe('mine now');
  });

  it('keeps another tenant\'s admin out of this tenant\'s endpoints', async () => {
    const otherOwner = await signUp(t, undefined, { verified: true });
    const other = await createActiveTenant(t, otherOwner);
    const theirs = await endpoint('/theirs', {}, other.id, otherOwner.token);
    expect(errorCode(await t.gql(UPDATE_ENDPOINT, { id: theirs.id, input: { url: `${receiver.url}/stolen` } }, owner.token))).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(ATTEMPTS, { endpointId: theirs.id }, owner.token))).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(ENDPOINTS, { tenantId: other.id }, owner.token))).toBe('NOT_FOUND');
  }, 60_000);
});

describe('delivery', () => {
  it('signs per Standard Webhooks, filters by event type, and sends no request context', async () => {
    const filtered = await endpoint('/filtered', { eventTypes: ['tenant.updated'] });
    const everything = await endpoint('/everything');
    await renameTenant('Signed Corp');
    const [message] = await waitFor(() => receiver.at('/filtered').length > 0 && receiver.at('/filtered'), { what: 'a message at /filtered' });
    const payload = verified(filtered.secret, message);
    expect(payload.type).toBe('tenant.updated');
    expect(payload.data).toMatchObject({ name: 'tenant.updated', tenantId: tenant.id, actorId: owner.userId, payload: { name: 'Signed Corp' } });
    expect(Object.keys(payload.data).sort()).toEqual(['actorId', 'id', 'name', 'occurredAt', 'payload', 'seq', 'tenantId']);
    expect(message.headers['webhook-id']).toBe(payload.data.id);
    expect(message.body).not.toMatch(/userAgent|"ip"|requestId|127\.0\.0\.1/);
    expect(() => new Webhook(everything.secret).verify(message.body, message.headers as Record<string, string>)).toThrow();

    await waitFor(() => typesOf(receiver.at('/everything')).includes('tenant.updated'), { what: 'tenant.updated at /everything' });
    // The endpoint was created before the tenant changed, and lists one type: nothing else reached it.
    expect(typesOf(receiver.at('/filtered'))).toEqual(['tenant.updated']);
    // Nothing about the endpoint itself reaches it.
    expect(typesOf(receiver.at('/everything'))).not.toContain('webhook.endpoint.created');
  });

  it('sends auth.* events only to endpoints that list them by name', async () => {
    const listing = await endpoint('/security', { eventTypes: ['auth.token.created'] });
    await endpoint('/not-security');
    await must(t.gql(`mutation L($input: LoginInput!) { login(input: $input) { accessToken } }`, { input: { email: owner.email, password: 'correct horse battery' } }));
    const [message] = await waitFor(() => receiver.at('/security').length > 0 && receiver.at('/security'), { what: 'auth.token.created at /security' });
    expect(verified(listing.secret, message).data.payload.userId).toBe(owner.userId);
    await renameTenant(); // a later event to /not-security shows the auth event was not just slow
    await waitFor(() => typesOf(receiver.at('/not-security')).includes('tenant.updated'), { what: 'tenant.updated at /not-security' });
    expect(typesOf(receiver.at('/not-security')).filter((type) => type.startsWith('auth.'))).toEqual([]);
  });

  it('retries a failure on the schedule with the same webhook-id, each attempt signed afresh, until it succeeds', async () => {
    const flaky = await endpoint('/flaky', { eventTypes: ['tenant.updated'] });
    let calls = 0;
    receiver.answer('/flaky', () => (++calls <= 2 ? { status: 500, body: 'x'.repeat(5000) } : { status: 200 }));
    await renameTenant();
    await waitFor(async () => (await attemptsOf(flaky.id)).some((a: { status: string }) => a.status === 'SUCCEEDED'), { what: 'the third attempt to succeed' });
    const requests = receiver.at('/flaky');
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const request of requests) expect(verified(flaky.secret, request).type).toBe('tenant.updated');
    const attempts = await attemptsOf(flaky.id);
    expect(attempts.map((a: any) => [a.attempt, a.status, a.responseStatus])).toEqual([
      [1, 'FAILED', 500],
      [2, 'FAILED', 500],
      [3, 'SUCCEEDED', 200],
    ]);
    expect(attempts[0].responseBody).toHaveLength(1024);
    expect(attempts[0].nextAttemptAt).not.toBeNull();
    expect(attempts[2].nextAttemptAt).toBeNull();
    expect(attempts.every((a: any) => a.eventId === requests[0].headers['webhook-id'] && typeof a.durationMs === 'number')).toBe(true);
  });

  it('waits as long as Retry-After asks', async () => {
    const busy = await endpoint('/busy', { eventTypes: ['tenant.updated'] });
    let calls = 0;
    receiver.answer('/busy', () => (++calls === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 204 }));
    await renameTenant();
    await waitFor(async () => (await attemptsOf(busy.id)).some((a: { status: string }) => a.status === 'SUCCEEDED'), { what: 'the retry to succeed' });
    const [first] = await attemptsOf(busy.id);
    expect(new Date(first.nextAttemptAt).getTime() - new Date(first.createdAt).getTime()).toBeGreaterThanOrEqual(1_900);
  });

  it('records webhook.message.failed when the retries are exhausted, and replay sends the message again', async () => {
    const since = new Date().toISOString();
    const broken = await endpoint('/broken', { eventTypes: ['tenant.updated'] });
    receiver.answer('/broken', { status: 500 });
    await renameTenant();
    const [failed] = await waitFor(async () => {
      const rows = await eventsNamed('webhook.message.failed', broken.id);
      return rows.length > 0 && rows;
    }, { what: 'webhook.message.failed' });
    expect(failed.payload).toMatchObject({ tenantId: tenant.id, endpointId: broken.id, eventName: 'tenant.updated', attempts: 3 });
    expect(receiver.at('/broken')).toHaveLength(3);

    receiver.answer('/broken', { status: 200 });
    expect((await must(t.gql(REPLAY, { endpointId: broken.id, since }, owner.token))).replayWebhookMessages).toBe(1);
    await waitFor(async () => (await attemptsOf(broken.id)).some((a: { status: string }) => a.status === 'SUCCEEDED'), { what: 'the replayed message' });
    const requests = receiver.at('/broken');
    expect(requests).toHaveLength(4);
    expect(requests[3].headers['webhook-id']).toBe(failed.payload.eventId);
    // Nothing left that did not succeed: a second replay sends nothing.
    expect((await must(t.gql(REPLAY, { endpointId: broken.id, since }, owner.token))).replayWebhookMessages).toBe(0);
  });

  it('resends one delivered message with retryWebhookMessage, with the same webhook-id', async () => {
    const again = await endpoint('/again', { eventTypes: ['tenant.updated'] });
    await renameTenant();
    const [first] = await waitFor(() => receiver.at('/again').length > 0 && receiver.at('/again'), { what: 'the first message' });
    const eventId = String(first.headers['webhook-id']);
    await waitFor(async () => (await attemptsOf(again.id)).length === 1, { what: 'its attempt recorded' });
    const pending = (await must(t.gql(RETRY_MESSAGE, { endpointId: again.id, eventId }, owner.token))).retryWebhookMessage;
    expect(pending).toMatchObject({ status: 'PENDING', eventId, attempt: 2 });
    await waitFor(() => receiver.at('/again').length === 2, { what: 'the resent message' });
    expect(receiver.at('/again')[1].headers['webhook-id']).toBe(eventId);
    await waitFor(async () => (await attemptsOf(again.id)).map((a: any) => a.status).join() === 'SUCCEEDED,SUCCEEDED', { what: 'both attempts succeeded' });
    expect(errorCode(await t.gql(RETRY_MESSAGE, { endpointId: again.id, eventId: tenant.id }, owner.token))).toBe('NOT_FOUND');
  });

  it('sends a test message to that endpoint alone', async () => {
    const tested = await endpoint('/tested', { eventTypes: ['tenant.updated'] });
    const bystander = await endpoint('/bystander');
    const pending = (await must(t.gql(SEND_TEST, { id: tested.id }, owner.token))).sendTestWebhook;
    expect(pending).toMatchObject({ status: 'PENDING', eventName: 'webhook.test', attempt: 1, endpointId: tested.id });
    const [message] = await waitFor(() => receiver.at('/tested').length > 0 && receiver.at('/tested'), { what: 'the test message' });
    expect(verified(tested.secret, message)).toMatchObject({ type: 'webhook.test', data: { payload: { endpointId: tested.id } } });
    await waitFor(async () => (await attemptsOf(tested.id)).map((a: any) => a.status).join() === 'SUCCEEDED', { what: 'the PENDING attempt to be filled' });
    await renameTenant();
    await waitFor(() => typesOf(receiver.at('/bystander')).includes('tenant.updated'), { what: 'a later event at /bystander' });
    expect(typesOf(receiver.at('/bystander'))).not.toContain('webhook.test');
    void bystander;
  });

  it('signs with both secrets for 24 hours after a rotation', async () => {
    const rotating = await endpoint('/rotating', { eventTypes: ['tenant.updated'] });
    const rotated = (await must(t.gql(ROTATE_SECRET, { id: rotating.id }, owner.token))).rotateWebhookSecret;
    secrets.push(rotated.secret);
    expect(rotated.secret).not.toBe(rotating.secret);
    await renameTenant();
    const [message] = await waitFor(() => receiver.at('/rotating').length > 0 && receiver.at('/rotating'), { what: 'a message after the rotation' });
    expect(String(message.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(rotating.secret, message).type).toBe('tenant.updated');
    expect(verified(rotated.secret, message).type).toBe('tenant.updated');
    const [rotation] = await eventsNamed('webhook.secret.rotated', rotating.id);
    const validFor = new Date(rotation.payload.previousValidUntil).getTime() - Date.now();
    expect(validFor).toBeGreaterThan(23 * 3600_000);
    expect(validFor).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    const gone = await endpoint('/gone', { eventTypes: ['tenant.updated'] });
    receiver.answer('/gone', { status: 410 });
    await renameTenant();
    await waitFor(async () => (await eventsNamed('webhook.endpoint.disabled', gone.id)).length > 0, { what: 'webhook.endpoint.disabled' });
    const [disabled] = await eventsNamed('webhook.endpoint.disabled', gone.id);
    expect(disabled.payload).toMatchObject({ reason: 'gone' });
    const listed = (await must(t.gql(ENDPOINTS, { tenantId: tenant.id }, owner.token))).webhookEndpoints.find((e: { id: string }) => e.id === gone.id);
    expect(listed).toMatchObject({ enabled: false, disabledReason: 'the endpoint answered 410 Gone' });
    expect(receiver.at('/gone')).toHaveLength(1);
    await renameTenant();
    const [{ count }] = await t.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM deliveries WHERE dependency = $1 AND status <> 'dead'`,
      [`webhook:${gone.id}`],
    );
    expect(count).toBe(0);
  });
});

describe('erasure', () => {
  it('cancels the messages still due about an account that is erased', async () => {
    const held = await endpoint('/erasure', { eventTypes: ['tenant.member.added'] });
    receiver.answer('/erasure', { status: 503, headers: { 'retry-after': '3600' } });
    const leaving = await signUp(t);
    await join(t, owner, tenant.id, leaving, 'MEMBER');
    const dependency = `webhook:${held.id}`;
    await waitFor(async () => {
      const rows = await t.db.query<{ status: string; attempts: number }>(`SELECT status, attempts FROM deliveries WHERE dependency = $1`, [dependency]);
      return rows.length === 1 && rows[0].status === 'pending' && rows[0].attempts === 1;
    }, { what: 'the message to wait an hour after its first attempt' });
    const erased = await t.gql(`mutation D($p: String!) { deleteAccount(password: $p) }`, { p: 'correct horse battery' }, leaving.token);
    expect(erased.errors).toBeUndefined();
    const [row] = await t.db.query<{ status: string; last_error: string }>(`SELECT status, last_error FROM deliveries WHERE dependency = $1`, [dependency]);
    expect(row).toEqual({ status: 'dead', last_error: 'cancelled: the account it is about was erased' });
  }, 60_000);
});

describe('secrets', () => {
  it('never writes a signing secret to the log, the events or a delivery row', async () => {
    // Its own endpoint (so it runs alone): created, its secret rotated, a failed attempt and its retry.
    const scanned = await endpoint('/secret-scan', { eventTypes: ['tenant.updated'] });
    secrets.push((await must(t.gql(ROTATE_SECRET, { id: scanned.id }, owner.token))).rotateWebhookSecret.secret);
    let calls = 0;
    receiver.answer('/secret-scan', () => (++calls === 1 ? { status: 500 } : { status: 204 }));
    await renameTenant();
    await waitFor(async () => (await attemptsOf(scanned.id)).length === 2, { what: 'a failed attempt and its retry, recorded' });
    const events = (await t.db.query<{ text: string }>(`SELECT payload::text || context::text AS text FROM events`)).map((r) => r.text).join('\n');
    const deliveries = (await t.db.query<{ text: string }>(`SELECT coalesce(last_error, '') AS text FROM deliveries`)).map((r) => r.text).join('\n');
    const attempts = (await t.db.query<{ text: string }>(`SELECT coalesce(error, '') || coalesce(response_body, '') AS text FROM webhook_attempts`)).map((r) => r.text).join('\n');
    const logs = t.logText();
    for (const secret of secrets) {
      for (const form of [secret, secret.slice(6)]) {
        expect(events.includes(form)).toBe(false);
        expect(deliveries.includes(form)).toBe(false);
        expect(attempts.includes(form)).toBe(false);
        expect(logs.includes(form)).toBe(false);
      }
    }
  });
});
