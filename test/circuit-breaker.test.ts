import { REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { seriesValue } from './support/prometheus';
import { waitFor } from './support/wait';

/**
 * The circuit breaker on SMTP (issue 15), against a real SMTP sink that fails every message while
 * it is "down": after 3 failed sends the breaker opens, the waiting emails spend no attempts and
 * hold no slot (other listeners keep running), another instance leaves them alone too, probes go
 * out one at a time, and once the sink answers the first probe closes the breaker and the emails
 * go out, each once, in order of due time.
 */
const THRESHOLD = 3;
let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald({
    CIRCUIT_BREAKER_FAILURES: String(THRESHOLD),
    CIRCUIT_BREAKER_COOLDOWN_MS: '400',
    // One run at a time: the order in which waiting emails go out is then the claims' order.
    LISTENER_CONCURRENCY: '1',
  });
});
afterAll(() => t.stop());

async function register(email: string): Promise<string> {
  const response = await t.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'Breaker' } });
  expect(response.errors).toBeUndefined();
  return response.data!.register.user.id;
}

const breaker = async () => (await t.db.query<{ state: string; failures: number }>(`SELECT state, failures FROM circuit_breakers WHERE key = 'smtp'`))[0];
const emailDeliveries = (emails: string[]) =>
  t.db.query<{ id: string; to: string; status: string; attempts: number; held: boolean; due_at: Date }>(
    `SELECT d.id::text, e.payload->>'to' AS to, d.status, d.attempts, d.held_until IS NOT NULL AS held, d.due_at
     FROM deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.listener = 'send-email' AND e.payload->>'to' = ANY($1) ORDER BY d.due_at, d.id`,
    [emails],
  );
const circuitEvents = () =>
  t.db.query<{ name: string; payload: Record<string, unknown>; tenant_id: string | null }>(
    `SELECT name, payload, tenant_id FROM events WHERE name LIKE 'system.circuit.%' ORDER BY seq`,
  );
const scrape = async () => (await fetch(`${t.url}/metrics`)).text();

it('opens after consecutive failures, holds the emails without spending attempts, and closes on a probe that succeeds', async () => {
  t.smtp.setRejecting(true);
  const emails = Array.from({ length: 6 }, (_, i) => uniqueEmail(`breaker${i}`));
  for (const email of emails) await register(email);

  await waitFor(async () => (await breaker())?.state === 'open', { timeoutMs: 30_000, what: 'the breaker to open' });
  const [opened] = await circuitEvents();
  expect(opened).toMatchObject({
    name: 'system.circuit.opened',
    tenant_id: null,
    payload: { dependency: 'smtp', failures: THRESHOLD, error: expect.stringMatching(/Mailbox temporarily unavailable/) },
  });
  expect(t.logs.some((l) => l.msg === 'circuit opened: runs that need the dependency wait' && l.dependency === 'smtp')).toBe(true);

  // Probes go out and fail while the sink is down; the emails wait, no attempt spent after the
  // first failures (only the THRESHOLD - 1 that failed while the breaker was closed cost one).
  await waitFor(() => t.logs.filter((l) => l.msg === 'circuit probe failed; the breaker stays open').length >= 2, {
    timeoutMs: 30_000,
    what: 'two failed probes',
  });
  const waiting = await emailDeliveries(emails);
  expect(waiting.map((d) => d.status)).not.toContain('dead');
  const settled = waiting.filter((d) => d.status === 'pending'); // not the probe, if one runs now
  expect(waiting.length - settled.length).toBeLessThanOrEqual(1);
  expect(settled.every((d) => d.held)).toBe(true);
  expect(settled.reduce((sum, d) => sum + d.attempts, 0)).toBeLessThanOrEqual(THRESHOLD - 1);
  expect(Math.max(...settled.map((d) => d.attempts))).toBeLessThanOrEqual(1);
  expect(seriesValue(await scrape(), 'herald_circuit_breaker_state', { dependency: 'smtp' })).toBeGreaterThanOrEqual(1);

  // They hold no slot: with one run at a time, other listeners still run (an audit entry).
  const bystander = await register(uniqueEmail('bystander'));
  await waitFor(async () => (await t.db.query(`SELECT 1 FROM audit_entries WHERE actor_id = $1`, [bystander])).length > 0, {
    what: 'another listener to run while the emails wait',
  });

  // Another instance shares the breaker's state: it sends nothing but probes either.
  await t.startPeer();
  const probesBefore = () => t.logs.filter((l) => l.msg === 'circuit probe failed; the breaker stays open').length;
  const rejectedThen = t.smtp.rejected.length - probesBefore();
  await waitFor(() => probesBefore() >= 4, { timeoutMs: 30_000, what: 'more failed probes, with two instances' });
  expect(t.smtp.rejected.length - probesBefore()).toBeLessThanOrEqual(rejectedThen + 1); // one probe may be in flight

  // The sink answers again: the next probe closes the breaker; the emails go out in due order.
  const dueOrder = (await emailDeliveries(emails)).filter((d) => d.status !== 'done').map((d) => d.to);
  const acceptedBefore = t.smtp.messages.length;
  t.smtp.setRejecting(false);
  await waitFor(() => emails.every((email) => t.smtp.to(email).length > 0), { timeoutMs: 30_000, what: 'every email to go out' });
  await waitFor(async () => (await breaker())?.state === 'closed', { what: 'the breaker to close' });
  const closed = (await circuitEvents()).at(-1)!;
  expect(closed).toMatchObject({ name: 'system.circuit.closed', payload: { dependency: 'smtp', openSeconds: expect.any(Number) } });

  const sentAfter = t.smtp.messages.slice(acceptedBefore).flatMap((m) => m.to).filter((to) => dueOrder.includes(to));
  expect(sentAfter).toEqual(dueOrder);
  for (const email of emails) expect(t.smtp.to(email)).toHaveLength(1);
  const done = await waitFor(async () => {
    const rows = await emailDeliveries(emails);
    return rows.every((d) => d.status === 'done') && rows;
  }, { what: 'every email delivery to be done' });
  expect(Math.max(...done.map((d) => d.attempts))).toBeLessThanOrEqual(2);
  expect(seriesValue(await scrape(), 'herald_circuit_breaker_state', { dependency: 'smtp' })).toBe(0);
}, 120_000);
