import WebSocket from 'ws';
import { Client } from 'pg';
import { ME } from './support/graphql-client';
import { startTestHerald, type TestHerald } from './support/herald';
import { openRawSocket, type RawSocket } from './support/raw-ws';
import { STARTS_AT_ONCE } from '../src/live/ws/ws-connection';
import { createActiveTenant, signUp, UPDATE_TENANT, type Account } from './support/tenants';
import { waitFor, within } from './support/wait';
import { TENANT_EVENTS } from './support/ws-client';

/**
 * The well-formed messages of graphql-transport-ws, spoken by hand, answered as graphql-ws's
 * server answers them (Herald's own protocol server must stay conformant).
 */
let t: TestHerald;
let owner: Account;
let tenantId: string;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  t = await startTestHerald();
  owner = await signUp(t);
  // Active: its onboarding no longer touches the row the rename test locks.
  tenantId = (await createActiveTenant(t, owner)).id;
});
afterEach(() => {
  for (const raw of sockets.splice(0)) raw.close();
});
afterAll(async () => {
  await t.stop();
});

async function open(): Promise<RawSocket> {
  const raw = await openRawSocket(t.url);
  sockets.push(raw);
  return raw;
}

describe('graphql-transport-ws messages', () => {
  it('answers ping with pong, echoing its payload or leaving it out; ignores pong', async () => {
    const raw = await open();
    raw.send({ type: 'ping', payload: { n: 1 } });
    expect(await raw.waitFor((m) => m.type === 'pong', 'a pong')).toEqual({ type: 'pong', payload: { n: 1 } });
    raw.send({ type: 'pong' });
    raw.send({ type: 'ping' });
    await raw.waitFor((m) => m.type === 'pong' && !('payload' in m), 'a pong without payload');
    await raw.init(owner.token);
  });

  it('runs a query: next with its result, then complete', async () => {
    const raw = await open();
    await raw.init(owner.token);
    raw.subscribe('q', ME);
    await raw.waitFor((m) => m.id === 'q' && m.type === 'complete', 'complete');
    const forQ = raw.messages.filter((m) => m.id === 'q');
    expect(forQ.map((m) => m.type)).toEqual(['next', 'complete']);
    expect(forQ[0].payload.data.me.id).toBe(owner.userId);
  });

  it("ends a subscription on the client's complete, and releases it", async () => {
    const raw = await open();
    await raw.init(owner.token);
    raw.subscribe('live', TENANT_EVENTS, { tenantId });
    await waitFor(() => t.herald.liveStats().subscriptions === 1, { what: 'the subscription to start' });
    raw.send({ type: 'complete', id: 'live' });
    await waitFor(() => t.herald.liveStats().subscriptions === 0, { what: 'the subscription to end' });
    expect(raw.messages.filter((m) => m.id === 'live' && m.type === 'complete')).toEqual([]);
  });

  it('closes a socket without the graphql-transport-ws subprotocol: 4406', async () => {
    const socket = new WebSocket(`${t.url.replace(/^http/, 'ws')}/graphql`);
    socket.on('error', () => undefined);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    expect(await within(closed, 10_000, 'the close')).toEqual({ code: 4406, reason: 'Subprotocol not acceptable' });
  });

  it('releases the connection when the client goes', async () => {
    const before = t.herald.liveStats().connections;
    const raw = await open();
    await raw.init(owner.token);
    expect(t.herald.liveStats().connections).toBe(before + 1);
    raw.close();
    await waitFor(() => t.herald.liveStats().connections === before, { what: 'the connection to be released' });
  });

  it('starts a few operations of a connection at once; the others wait for a turn, and one completed meanwhile never runs', async () => {
    const raw = await open();
    await raw.init(owner.token);
    const FLOOD = 12;
    const renamed = async () =>
      (await t.db.query<{ name: string }>(`SELECT payload->>'name' AS name FROM events WHERE name = 'tenant.updated' AND tenant_id = $1`, [tenantId]))
        .map((row) => row.name)
        .sort();
    const before = await renamed();
    // The test holds the tenant's row: a rename that starts blocks in its UPDATE and keeps its turn.
    const lock = new Client({ connectionString: t.db.url });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
      for (let i = 0; i < FLOOD; i++) raw.subscribe(`rename-${i}`, UPDATE_TENANT, { id: tenantId, input: { name: `Flood ${i}` } });
      const blocked = async () =>
        Number(
          (await t.db.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          ))[0].n,
        );
      await waitFor(async () => (await blocked()) === STARTS_AT_ONCE, {
        timeoutMs: 30_000,
        what: `${STARTS_AT_ONCE} renames started (blocked on the row)`,
      });
      // The rest are waiting for a turn: the client completes every rename now.
      for (let i = 0; i < FLOOD; i++) raw.send({ type: 'complete', id: `rename-${i}` });
      raw.send({ type: 'ping' });
      await raw.waitFor((m) => m.type === 'pong', 'the pong after the completes (messages are handled in order)');
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
    }
    // Turns are given in order: once this answers, every waiting rename has had its turn (and been dropped).
    raw.subscribe('after', ME);
    await raw.waitFor((m) => m.id === 'after' && m.type === 'complete', 'the query after the flood');
    // The started ones commit (their client completed them, so nothing is sent for them).
    const started = Array.from({ length: STARTS_AT_ONCE }, (_, i) => `Flood ${i}`);
    await waitFor(async () => (await renamed()).length === before.length + STARTS_AT_ONCE, { what: 'the started renames to commit' });
    expect(await renamed()).toEqual([...before, ...started].sort());
    expect(raw.messages.filter((m) => m.id?.startsWith('rename-'))).toEqual([]);
    // The exact count of operations started (none of the completed ones) is src/live/ws/ws-transport.test.ts's.
  });
});
