import { ME } from './support/graphql-client';
import { startTestHerald, type TestHerald } from './support/herald';
import { firstAnswer, openRawSocket, type RawSocket } from './support/raw-ws';
import { createTenant, signUp, type Account } from './support/tenants';
import { waitFor, within } from './support/wait';
import { HeraldCloseCode } from '../src/live/close-codes';
import { TENANT_EVENTS } from './support/ws-client';

/**
 * graphql-transport-ws spoken by hand over bare sockets: what a broken or hostile client can send.
 * Each case ends with the close code the protocol names, and the server keeps serving.
 */
let t: TestHerald;
let owner: Account;
let tenantId: string;
const sockets: RawSocket[] = [];
const internalErrors = jest.spyOn(console, 'error');

beforeAll(async () => {
  t = await startTestHerald();
  owner = await signUp(t);
  tenantId = (await createTenant(t, owner)).id;
});
afterEach(() => {
  for (const raw of sockets.splice(0)) raw.close();
});
afterAll(async () => {
  await t.stop();
  internalErrors.mockRestore();
});

async function open(): Promise<RawSocket> {
  const raw = await openRawSocket(t.url);
  sockets.push(raw);
  return raw;
}
/** Replays the tenant's events at once (after: "0"), so an accepted subscription answers quickly. */
const liveTenantEvents = (raw: RawSocket, id: string) => raw.subscribe(id, TENANT_EVENTS, { tenantId, after: '0' });
const closeOf = (raw: RawSocket, what: string) => within(raw.closed, 10_000, what);

describe('protocol violations close the socket with the code the protocol names', () => {
  it('subscribe before connection_init: 4401 Unauthorized', async () => {
    const raw = await open();
    raw.subscribe('1', ME);
    expect(await closeOf(raw, 'the close')).toEqual({ code: 4401, reason: 'Unauthorized' });
  });

  it('a second connection_init: 4429', async () => {
    const raw = await open();
    await raw.init(owner.token);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${owner.token}` } });
    expect((await closeOf(raw, 'the close')).code).toBe(4429);
  });

  it('a subscription id already in use: 4409', async () => {
    const raw = await open();
    await raw.init(owner.token);
    liveTenantEvents(raw, 'same');
    expect((await firstAnswer(raw, 'same')).type).toBe('next');
    liveTenantEvents(raw, 'same');
    expect(await closeOf(raw, 'the close')).toEqual({ code: 4409, reason: 'Subscriber for same already exists' });
  });

  it.each([
    ['text that is not JSON', '{"type": "subscribe", '],
    ['a message of unknown type', { type: 'shout', payload: 'hello' }],
    ['a subscribe whose query is not a string', { type: 'subscribe', id: 'x', payload: { query: 42 } }],
    ['a `next`, which only a server sends', { type: 'next', id: 'x', payload: { data: null } }],
    ['an `error`, which only a server sends', { type: 'error', id: 'x', payload: [{ message: 'no' }] }],
    ['a `connection_ack`, which only a server sends', { type: 'connection_ack' }],
  ])('%s: 4400', async (_what, message) => {
    const raw = await open();
    await raw.init(owner.token);
    raw.send(message);
    expect((await closeOf(raw, 'the close')).code).toBe(4400);
  });

  it('a frame over WS_MAX_PAYLOAD (100 KB): 1009, before it is read', async () => {
    const raw = await open();
    await raw.init(owner.token);
    raw.subscribe('big', ME, { pad: 'x'.repeat(100 * 1024) });
    expect((await closeOf(raw, 'the close')).code).toBe(1009);
    // One warning line in the log, without a stack; nothing on stderr.
    const line = await waitFor(
      () => t.logs.find((l) => l.msg === 'WebSocket closed after a socket error' && l.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'),
      { what: 'the log line of the oversized frame' },
    );
    expect(line).toMatchObject({ level: 40, reason: 'Max payload size exceeded' });
    expect(JSON.stringify(line)).not.toMatch(/\bat /);
  });

  it('no connection_init within 3 s: 4408', async () => {
    const raw = await open();
    const started = Date.now();
    expect(await closeOf(raw, 'the timeout')).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
  });
});

describe('limits and floods', () => {
  it('allows 20 subscriptions on one connection; the 21st gets RATE_LIMITED until one completes', async () => {
    const raw = await open();
    await raw.init(owner.token);
    const ids = Array.from({ length: 20 }, (_, i) => `s${i}`);
    for (const id of ids) liveTenantEvents(raw, id);
    const answers = await Promise.all(ids.map((id) => firstAnswer(raw, id)));
    expect(answers.map((answer) => answer.type)).toEqual(ids.map(() => 'next'));

    liveTenantEvents(raw, 'one-too-many');
    expect(await firstAnswer(raw, 'one-too-many')).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'RATE_LIMITED' } }] });

    raw.send({ type: 'complete', id: 's0' });
    await waitFor(() => t.herald.liveStats().subscriptions === 19, { what: 'the completed subscription to end' });
    liveTenantEvents(raw, 'in-its-place');
    expect((await firstAnswer(raw, 'in-its-place')).type).toBe('next');
  });

  it('closes the connection over WS_MAX_CONNECTIONS_PER_USER (10) with 4602, a code of its own', async () => {
    const user = await signUp(t);
    const held = await Promise.all(Array.from({ length: 10 }, () => open()));
    await Promise.all(held.map((raw) => raw.init(user.token)));
    const extra = await open();
    extra.send({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } });
    expect(await closeOf(extra, 'the close')).toEqual({ code: HeraldCloseCode.TooManyConnections, reason: 'Too many connections: at most 10 per user' });
    expect(HeraldCloseCode.TooManyConnections).toBe(4602);
    // One closes: the next connection is accepted.
    held[0].close();
    await waitFor(async () => {
      const again = await open();
      again.send({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } });
      return Promise.race([
        again.waitFor((m) => m.type === 'connection_ack', 'connection_ack').then(() => true),
        again.closed.then(() => false),
      ]);
    }, { what: 'a connection in the freed place' });
  });

  it('survives a flood of subscribe/complete: every subscription ends, the socket still answers', async () => {
    const flooders = await Promise.all([open(), open(), open()]);
    await Promise.all(flooders.map((raw) => raw.init(owner.token)));
    const PAIRS = 500;
    for (const [n, raw] of flooders.entries()) {
      for (let i = 0; i < PAIRS; i++) {
        liveTenantEvents(raw, `f${n}-${i}`);
        raw.send({ type: 'complete', id: `f${n}-${i}` });
      }
    }
    for (const raw of flooders) {
      raw.subscribe('after-flood', ME);
      expect((await firstAnswer(raw, 'after-flood')).payload.data.me.id).toBe(owner.userId);
    }
    await waitFor(() => {
      const stats = t.herald.liveStats();
      return stats.subscriptions === 0 && stats.streams === 0;
    }, { timeoutMs: 20_000, what: 'every flooded subscription to end' });
    expect(t.herald.liveStats().connections).toBeGreaterThanOrEqual(3);
    // A subscription still works after the flood.
    liveTenantEvents(flooders[0], 'live-again');
    expect((await firstAnswer(flooders[0], 'live-again')).type).toBe('next');
  });

  it('ends with no subscription left, the server still answering, and no internal error', async () => {
    // Its own subscriptions, left open when the socket goes (with the file's others, if they ran).
    const leaving = await open();
    await leaving.init(owner.token);
    for (const id of ['a', 'b', 'c']) liveTenantEvents(leaving, id);
    for (const id of ['a', 'b', 'c']) expect((await firstAnswer(leaving, id)).type).toBe('next');
    leaving.close();
    await waitFor(() => t.herald.liveStats().subscriptions === 0, { what: 'no subscription left' });
    const response = await t.gql(ME, {}, owner.token);
    expect(response.data!.me.id).toBe(owner.userId);
    // Nothing reaches stderr (the oversized frame is one warning line in the log, without a stack),
    // and no client's message counts as the server's error.
    expect(internalErrors.mock.calls).toEqual([]);
    expect(t.logs.filter((line) => (line.level as number) >= 50)).toEqual([]);
    // The only socket errors are oversized frames (the 1009 test's, when it ran).
    const socketErrors = t.logs.filter((line) => line.msg === 'WebSocket closed after a socket error');
    expect(socketErrors.filter((line) => line.code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')).toEqual([]);
  });
});
