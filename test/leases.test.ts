import type { Herald } from '../src/server';
import { defineListener } from '../src/events/listener';
import { REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor } from './support/wait';

/**
 * Short leases, renewed while a run goes on (issue 15): a run that lasts several leases on a
 * living instance is never taken over by another, and its time limit is its own, not the lease's.
 */
const LEASE_MS = 1_500;
const runs: { eventId: string; attempt: number }[] = [];
let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => (release = resolve));

/** Holds its first run until the test releases it; 60 s is its own time limit. */
const slow = defineListener({
  name: 'test-slow-run',
  on: ['user.registered'],
  timeoutMs: 60_000,
  async handle(event, ctx) {
    runs.push({ eventId: event.id, attempt: ctx.attempt });
    await released;
  },
});

/** Its completion's transaction is busy for 8 s (a statement that waits), holding its row locked meanwhile. */
const stuckInBatch = defineListener({
  name: 'test-stuck-in-batch',
  on: ['user.registered'],
  timeoutMs: 60_000,
  async handle(_event, ctx) {
    await ctx.complete((tx) => tx.manager.query('SELECT pg_sleep(8)'));
  },
});

let t: TestHerald;
let peer: Herald;
beforeAll(async () => {
  t = await startTestHerald({ LISTENER_LEASE_MS: String(LEASE_MS) }, { extraListeners: [slow, stuckInBatch] });
  peer = await t.startPeer();
});
afterAll(() => t.stop());

it('renews the lease of a run that outlasts it, so no other instance takes it over, even while another run’s completion is stuck', async () => {
  const response = await t.gql(REGISTER, { input: { email: uniqueEmail('lease'), password: 'correct horse battery', name: 'Lease' } });
  const userId = response.data!.register.user.id as string;
  const row = () =>
    t.db.query<{ id: string; status: string; locked_by: string; attempts: number; due_at: Date }>(
      `SELECT d.id::text, d.status, d.locked_by, d.attempts, d.due_at FROM deliveries d JOIN events e ON e.id = d.event_id
       WHERE d.listener = 'test-slow-run' AND e.actor_id = $1`,
      [userId],
    );
  const [claimed] = await waitFor(async () => {
    const rows = await row();
    return rows[0]?.status === 'running' && rows;
  }, { what: 'the slow run to start' });
  expect([t.herald.instanceId, peer.instanceId]).toContain(claimed.locked_by);

  // Three leases later (by its own renewals), the claim is still the first instance's, once.
  const firstExpiry = new Date(claimed.due_at).getTime();
  const [later] = await waitFor(async () => {
    const rows = await row();
    return new Date(rows[0].due_at).getTime() >= firstExpiry + 2 * LEASE_MS && rows;
  }, { timeoutMs: 20_000, intervalMs: 100, what: 'the lease to be renewed past three of its lengths' });
  expect(later).toMatchObject({ status: 'running', locked_by: claimed.locked_by, attempts: 1 });
  expect(runs).toHaveLength(1);
  // All that time the other listener's completion held its row locked in its batch.
  const [stuck] = await t.db.query<{ status: string; attempts: number }>(
    `SELECT d.status, d.attempts FROM deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.listener = 'test-stuck-in-batch' AND e.actor_id = $1`,
    [userId],
  );
  expect(stuck).toEqual({ status: expect.stringMatching(/running|done/), attempts: 1 });

  release();
  const [done] = await waitFor(async () => {
    const rows = await row();
    return rows[0].status === 'done' && rows;
  }, { what: 'the run to complete' });
  expect(done.attempts).toBe(1);
  expect(runs).toEqual([{ eventId: expect.any(String), attempt: 1 }]);
  expect(t.logs.some((l) => l.listener === 'test-slow-run' && /lost its lease|timed out/.test(JSON.stringify(l)))).toBe(false);
}, 60_000);
