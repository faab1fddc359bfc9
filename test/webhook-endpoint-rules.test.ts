import { startTestHerald, type TestHerald } from './support/herald';
import { inbox } from './support/mailbox';
import { createActiveTenant, signUp, type Account } from './support/tenants';
import { waitFor } from './support/wait';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';
import { UPDATE_TENANT_NAME, createEndpoint, verified } from './support/webhooks';

/**
 * What keeps a failing endpoint from harming others, and what ends its life (issue 16): the
 * requests to one endpoint are capped; its own circuit breaker (the runtime's, keyed
 * `webhook:<id>`) opens and closes; no success for 5 days (a clock the test moves) disables it and
 * emails the tenant's owners; two instances send each message once.
 */
let t: TestHerald;
let receiver: WebhookReceiver;
let owner: Account;
let tenant: { id: string };
let clockOffsetMs = 0;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  t = await startTestHerald(
    {
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0,200ms,200ms,200ms,200ms,200ms,200ms,200ms',
      WEBHOOK_ENDPOINT_CONCURRENCY: '2',
      CIRCUIT_BREAKER_FAILURES: '3',
      CIRCUIT_BREAKER_COOLDOWN_MS: '300',
    },
    { webhookClock: () => Date.now() + clockOffsetMs },
  );
  owner = await signUp(t, undefined, { verified: true });
  tenant = await createActiveTenant(t, owner);
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await receiver?.close();
});

let renames = 0;
const renameTenant = async () => {
  const response = await t.gql(UPDATE_TENANT_NAME, { id: tenant.id, input: { name: `Rules ${++renames}` } }, owner.token);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
};
const eventsAbout = (name: string, key: string, value: string) =>
  t.db.query<{ payload: any }>(`SELECT payload FROM events WHERE name = $1 AND payload->>$2 = $3 ORDER BY seq`, [name, key, value]);
const ids = (path: string) => receiver.at(path).map((r) => String(r.headers['webhook-id']));

it('caps the requests open to one endpoint, while the tenant\'s other endpoints go on', async () => {
  const capped = await createEndpoint(t, owner.token, tenant.id, { url: `${receiver.url}/capped`, eventTypes: ['tenant.updated'] });
  await createEndpoint(t, owner.token, tenant.id, { url: `${receiver.url}/beside`, eventTypes: ['tenant.updated'] });
  receiver.answer('/capped', 'hang');
  for (let i = 0; i < 6; i++) await renameTenant();
  await waitFor(() => receiver.at('/beside').length === 6 && receiver.at('/capped').length >= 2, { what: '6 messages beside, 2 at the capped endpoint' });
  // The six messages at the other endpoint went out while two requests here stayed open.
  expect(receiver.at('/capped')).toHaveLength(2);
  receiver.answer('/capped', { status: 204 });
  receiver.release('/capped', 204);
  await waitFor(() => new Set(ids('/capped')).size === 6, { what: 'all six at the capped endpoint once it answers' });
  expect(receiver.maxOpen('/capped')).toBe(2);
  for (const request of receiver.at('/capped')) verified(capped.secret, request);
});

it('opens the endpoint\'s breaker after failures in a row, holds its messages without spending attempts, and closes on a probe', async () => {
  const down = await createEndpoint(t, owner.token, tenant.id, { url: `${receiver.url}/down`, eventTypes: ['tenant.updated'] });
  const dependency = `webhook:${down.id}`;
  receiver.answer('/down', { status: 500 });
  for (let i = 0; i < 5; i++) await renameTenant();
  await waitFor(async () => (await eventsAbout('system.circuit.opened', 'dependency', dependency)).length > 0, { what: 'the breaker to open' });
  await waitFor(async () => {
    const rows = await t.db.query<{ held: number }>(
      `SELECT count(*) FILTER (WHERE held_until = 'infinity')::int AS held FROM deliveries WHERE dependency = $1 AND status = 'pending'`,
      [dependency],
    );
    return rows[0].held >= 3;
  }, { what: 'its messages to wait for the breaker' });
  const [{ max }] = await t.db.query<{ max: number }>(`SELECT max(attempts)::int AS max FROM deliveries WHERE dependency = $1`, [dependency]);
  expect(max).toBeLessThan(8); // waiting spent no attempts

  receiver.answer('/down', { status: 200 });
  await waitFor(async () => (await eventsAbout('system.circuit.closed', 'dependency', dependency)).length > 0, { what: 'the probe to close the breaker' });
  await waitFor(async () => {
    const [row] = await t.db.query<{ done: number }>(`SELECT count(*) FILTER (WHERE status = 'done')::int AS done FROM deliveries WHERE dependency = $1`, [dependency]);
    return row.done === 5;
  }, { what: 'the five messages delivered' });
  expect(await eventsAbout('webhook.message.failed', 'endpointId', down.id)).toEqual([]);
  const [endpoint] = await t.db.query<{ first_failure_at: Date | null }>(`SELECT first_failure_at FROM webhook_endpoints WHERE id = $1`, [down.id]);
  expect(endpoint.first_failure_at).toBeNull(); // a success starts the 5 days again
});

it('disables an endpoint with no success for 5 days and emails the tenant\'s owners', async () => {
  const dying = await createEndpoint(t, owner.token, tenant.id, { url: `${receiver.url}/dying`, eventTypes: ['tenant.updated'] });
  receiver.answer('/dying', { status: 503 });
  await renameTenant();
  await waitFor(async () => {
    const [row] = await t.db.query<{ first_failure_at: Date | null }>(`SELECT first_failure_at FROM webhook_endpoints WHERE id = $1`, [dying.id]);
    return row.first_failure_at !== null;
  }, { what: 'the first failure' });
  expect(await eventsAbout('webhook.endpoint.disabled', 'endpointId', dying.id)).toEqual([]);
  clockOffsetMs = 5 * 86_400_000 + 60_000;
  try {
    await waitFor(async () => (await eventsAbout('webhook.endpoint.disabled', 'endpointId', dying.id)).length > 0, { what: 'the endpoint to be disabled' });
  } finally {
    clockOffsetMs = 0;
  }
  const [disabled] = await eventsAbout('webhook.endpoint.disabled', 'endpointId', dying.id);
  expect(disabled.payload).toMatchObject({ reason: 'failing', tenantId: tenant.id });
  const [row] = await t.db.query<{ enabled: boolean; disabled_reason: string }>(`SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = $1`, [dying.id]);
  expect(row.enabled).toBe(false);
  expect(row.disabled_reason).toMatch(/no successful delivery for 5 days/);
  const mail = await waitFor(async () => {
    const messages = (await inbox(t.smtp, owner.email)).filter((m) => /webhook endpoint/.test(m.subject));
    return messages.length > 0 && messages[0];
  }, { what: 'the email to the owner' });
  expect(mail.text).toContain(`127.0.0.1:${receiver.port}`);
  expect(mail.text).toContain('replayWebhookMessages');
});

it('sends each message once with two instances claiming', async () => {
  await t.startPeer();
  await createEndpoint(t, owner.token, tenant.id, { url: `${receiver.url}/twice`, eventTypes: ['tenant.updated'] });
  for (let i = 0; i < 30; i++) await renameTenant();
  await waitFor(() => new Set(ids('/twice')).size === 30, { timeoutMs: 30_000, what: '30 messages' });
  await waitFor(async () => {
    const [{ done }] = await t.db.query<{ done: number }>(
      `SELECT count(*)::int AS done FROM deliveries d JOIN webhook_endpoints w ON d.dependency = 'webhook:' || w.id
       WHERE w.url LIKE '%/twice' AND d.status = 'done'`,
    );
    return done === 30;
  }, { what: 'the 30 deliveries to be recorded done' });
  expect(ids('/twice')).toHaveLength(30);
}, 60_000);
