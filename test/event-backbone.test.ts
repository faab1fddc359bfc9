import { defineListener } from '../src/events/listener';
import { REGISTER, errorCode, gql } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor } from './support/wait';
import { verifyEmail } from './support/tenants';

/**
 * Test listeners: `flaky` fails twice then records its effect; `broken` fails until `healthy` is
 * set. Both write to a table of this test's own, so effects can be counted.
 */
/** Start times of each run, per event id. */
const flakyRuns = new Map<string, number[]>();
let healthy = false;

const flaky = defineListener({
  name: 'test-flaky',
  on: ['user.registered'],
  backoffMs: 100,
  async handle(event, ctx) {
    flakyRuns.set(event.id, [...(flakyRuns.get(event.id) ?? []), Date.now()]);
    if (ctx.attempt < 3) throw new Error(`flaky failure ${ctx.attempt}`);
    await ctx.complete((tx) => tx.manager.query('INSERT INTO test_effects (event_id, listener) VALUES ($1, $2)', [event.id, 'flaky']));
  },
});

const broken = defineListener({
  name: 'test-broken',
  on: ['user.registered'],
  maxAttempts: 2,
  backoffMs: 50,
  async handle(event, ctx) {
    if (!healthy) throw new Error('the downstream service is down');
    await ctx.complete((tx) => tx.manager.query('INSERT INTO test_effects (event_id, listener) VALUES ($1, $2)', [event.id, 'broken']));
  },
});

/** `slow` waits for the test to open this gate on its first run. */
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (openGate = resolve));
const slow = defineListener({
  name: 'test-slow',
  on: ['user.registered'],
  async handle(event, ctx) {
    if (ctx.attempt === 1) await gate;
    await ctx.complete((tx) => tx.manager.query('INSERT INTO test_effects (event_id, listener) VALUES ($1, $2)', [event.id, 'slow']));
  },
});

let t: TestHerald;
const adminEmail = uniqueEmail('admin');
beforeAll(async () => {
  t = await startTestHerald({ PLATFORM_ADMIN_EMAILS: adminEmail }, { extraListeners: [flaky, broken, slow] });
  await t.db.query('CREATE TABLE test_effects (event_id uuid NOT NULL, listener text NOT NULL) -- no key: a second application would show as a second row');
});
afterAll(() => t.stop());

async function register(email = uniqueEmail()) {
  const response = await t.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'Grace' } });
  expect(response.errors).toBeUndefined();
  return response.data!.register;
}

const deliveriesOf = (userId: string) =>
  t.db.query<{ listener: string; status: string; attempts: number }>(
    `SELECT d.listener, d.status, d.attempts FROM deliveries d JOIN events e ON e.id = d.event_id
     WHERE e.actor_id = $1 AND e.name = 'user.registered' ORDER BY d.listener`,
    [userId],
  );

describe('the event store', () => {
  it('records nothing for a rolled-back mutation, and everything for a committed one', async () => {
    const email = uniqueEmail();
    const requestId = email.slice(0, email.indexOf('@'));
    const input = { email, password: 'correct horse battery', name: 'Grace' };
    const eventsOf = (requestId: string) =>
      t.db.query<{ name: string }>(`SELECT name FROM events WHERE context->>'requestId' = $1 ORDER BY seq`, [requestId]);

    const committed = await gql(t.url, REGISTER, { input }, { headers: { 'x-request-id': `commit-${requestId}` } });
    expect(committed.errors).toBeUndefined();
    // The duplicate fails inside its transaction (unique email) before the service records an
    // event, so this checks the API's answer; a unit of work that records events and then fails is
    // event-store.test.ts › records nothing, neither events nor delivery rows, when the unit of work rolls back.
    const rolledBack = await gql(t.url, REGISTER, { input }, { headers: { 'x-request-id': `rollback-${requestId}` } });
    expect(errorCode(rolledBack)).toBe('CONFLICT');

    // (Listeners' follow-up events carry the request id too, for tracing; the first three are the mutation's.)
    expect((await eventsOf(`commit-${requestId}`)).slice(0, 3).map((e) => e.name)).toEqual([
      'user.registered',
      'user.login',
      'auth.token.created',
    ]);
    expect(await eventsOf(`rollback-${requestId}`)).toEqual([]);
  });

  it('gives seq in append order and one delivery row per interested listener', async () => {
    const auth = await register();
    const listeners = (await deliveriesOf(auth.user.id)).map((d) => d.listener);
    expect(listeners).toEqual(
      ['count-daily-metrics', 'record-audit-entry', 'send-verification-reminder', 'send-welcome-email', 'test-broken', 'test-flaky', 'test-slow'].sort(),
    );
    const events = await t.db.query<{ name: string; seq: string }>(
      `SELECT name, seq FROM events WHERE actor_id = $1 AND name IN ('user.registered', 'user.login', 'auth.token.created') ORDER BY seq`,
      [auth.user.id],
    );
    expect(events.map((e) => e.name)).toEqual(['user.registered', 'user.login', 'auth.token.created']);
  });
});

describe('delivery to listeners', () => {
  it('runs every interested listener once: welcome email, audit entry, daily counter', async () => {
    const email = uniqueEmail('welcome');
    const auth = await register(email);
    await waitFor(() => t.smtp.to(email).length === 1, { what: 'the welcome email' });
    expect(t.smtp.to(email)[0].subject).toBe('Welcome to Herald: please confirm your email address');

    const audit = await waitFor(async () => {
      const rows = await t.db.query(`SELECT action, actor_id, ip FROM audit_entries WHERE actor_id = $1 ORDER BY id`, [auth.user.id]);
      return rows.length >= 2 && rows;
    }, { what: 'audit entries' });
    expect(audit.map((r) => r.action).sort()).toEqual(['user.login', 'user.registered']);

    const log = await waitFor(async () => {
      const [row] = await t.db.query(`SELECT status, attempts, provider_message_id FROM email_messages WHERE recipient = $1`, [email]);
      return row?.status === 'sent' && row;
    }, { what: 'the email log to say sent' });
    expect(log).toMatchObject({ attempts: 1, provider_message_id: expect.stringContaining('@herald') });

    const names = await waitFor(async () => {
      const rows = await t.db.query<{ name: string }>(
        `SELECT name FROM events WHERE actor_id = $1 AND name LIKE 'notification.%' ORDER BY seq`,
        [auth.user.id],
      );
      return rows.length === 2 && rows.map((r) => r.name);
    }, { what: 'notification events' });
    expect(names).toEqual(['notification.email.send', 'notification.email.sent']);

    const [counter] = await t.db.query(`SELECT count FROM daily_counters WHERE metric = 'registrations'`);
    expect(counter.count).toBeGreaterThanOrEqual(1);
  });

  it('retries a failing listener with growing delays and applies its effect once', async () => {
    const auth = await register();
    await waitFor(async () => {
      const rows = await deliveriesOf(auth.user.id);
      return rows.find((d) => d.listener === 'test-flaky')?.status === 'done';
    }, { what: 'the flaky listener to succeed' });
    const [event] = await t.db.query<{ id: string }>(
      `SELECT id FROM events WHERE actor_id = $1 AND name = 'user.registered'`,
      [auth.user.id],
    );
    const runs = flakyRuns.get(event.id)!;
    expect(runs).toHaveLength(3);
    // The delays the runtime chose grow (backoff 100 ms with jitter: 50–100, then 100–200)...
    const delays = t.logs
      .filter((l) => l.eventId === event.id && l.listener === 'test-flaky' && l.msg === 'listener failed; will retry')
      .map((l) => Number(l.retryInMs));
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[1]).toBeGreaterThanOrEqual(delays[0]);
    // ...and no retry ran before its delay was over. The gaps between runs also hold the poll
    // interval and the machine's load, so comparing them with each other would be flaky.
    expect(runs[1] - runs[0]).toBeGreaterThanOrEqual(delays[0] - 2); // (2 ms: millisecond clocks)
    expect(runs[2] - runs[1]).toBeGreaterThanOrEqual(delays[1] - 2);
    const effects = await t.db.query(`SELECT * FROM test_effects WHERE listener = 'flaky' AND event_id = $1`, [event.id]);
    expect(effects).toHaveLength(1);
  });
});

describe('dead deliveries', () => {
  const adminToken = async () => {
    const response = await t.gql(REGISTER, {
      input: { email: adminEmail, password: 'correct horse battery', name: 'Admin' },
    });
    await verifyEmail(t, adminEmail); // a listed address is an admin once verified
    return response.data!.register.accessToken as string;
  };

  it('end dead after the last attempt, record system.listener.failed, and run again on retryDelivery', async () => {
    healthy = false;
    const auth = await register();
    const dead = await waitFor(async () => {
      const [row] = await t.db.query<{ id: string; status: string; attempts: number; last_error: string }>(
        `SELECT d.id::text, d.status, d.attempts, d.last_error FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE e.actor_id = $1 AND d.listener = 'test-broken'`,
        [auth.user.id],
      );
      return row?.status === 'dead' && row;
    }, { what: 'the broken listener to go dead' });
    expect(dead.attempts).toBe(2);
    expect(dead.last_error).toContain('the downstream service is down');

    const [failed] = await t.db.query<{ payload: Record<string, unknown>; tenant_id: string | null }>(
      `SELECT payload, tenant_id FROM events WHERE name = 'system.listener.failed' AND payload->>'deliveryId' = $1`,
      [dead.id],
    );
    expect(failed.payload).toMatchObject({ listener: 'test-broken', eventName: 'user.registered', attempts: 2 });
    expect(failed.tenant_id).toBeNull();

    const token = await adminToken();
    const listed = await t.gql(
      `{ deliveries(status: DEAD, listener: "test-broken") { edges { node { id status attempts lastError event { name } } } } }`,
      {},
      token,
    );
    expect(listed.data!.deliveries.edges.map((e: any) => e.node.id)).toContain(dead.id);

    healthy = true;
    const retried = await t.gql(`mutation($id: ID!) { retryDelivery(id: $id) { id status attempts } }`, { id: dead.id }, token);
    expect(retried.data!.retryDelivery).toEqual({ id: dead.id, status: 'PENDING', attempts: 0 });
    await waitFor(async () => {
      const [row] = await t.db.query(`SELECT status FROM deliveries WHERE id = $1`, [dead.id]);
      return row.status === 'done';
    }, { what: 'the retried delivery to complete' });
    const effects = await t.db.query(
      `SELECT * FROM test_effects WHERE listener = 'broken' AND event_id = (SELECT event_id FROM deliveries WHERE id = $1)`,
      [dead.id],
    );
    expect(effects).toHaveLength(1);
  });
});

describe('a run that lost its lease', () => {
  it('cannot apply its effect or complete the delivery another instance took over', async () => {
    const auth = await register();
    const running = await waitFor(async () => {
      const [row] = await t.db.query<{ id: string; event_id: string }>(
        `SELECT d.id::text, d.event_id FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE e.actor_id = $1 AND d.listener = 'test-slow' AND d.status = 'running'`,
        [auth.user.id],
      );
      return row;
    }, { what: 'the slow listener to be running' });
    // Another instance takes the delivery over, as it would once this instance's lease expired.
    await t.db.query(`UPDATE deliveries SET locked_by = 'another-instance', attempts = attempts + 1 WHERE id = $1`, [
      running.id,
    ]);
    openGate();
    await waitFor(() => t.logs.some((l) => l.deliveryId === running.id && /lost its lease/.test(String(l.msg))), {
      what: 'the stale run to notice',
    });
    expect(await t.db.query(`SELECT * FROM test_effects WHERE event_id = $1 AND listener = 'slow'`, [running.event_id])).toEqual([]);
    const [row] = await t.db.query(`SELECT status, locked_by FROM deliveries WHERE id = $1`, [running.id]);
    expect(row).toEqual({ status: 'running', locked_by: 'another-instance' });
  });
});
