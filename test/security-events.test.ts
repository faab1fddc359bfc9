import WebSocket from 'ws';
import { LOGIN, LOGOUT, REFRESH, REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor, within } from './support/wait';
import { SECURITY_EVENTS, connect } from './support/ws-client';
import { verifyEmail } from './support/tenants';
import { HeraldCloseCode } from '../src/live/close-codes';

let t: TestHerald;
const adminEmail = uniqueEmail('admin');
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  t = await startTestHerald({
    PLATFORM_ADMIN_EMAILS: adminEmail,
    SUBSCRIBER_QUEUE_LIMIT: '20',
    // These tests make many (failed) logins to produce security events; the rate limits and the
    // login throttle have suites of their own.
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_AUTH_PER_ACCOUNT_PER_MINUTE: '100000',
    LOGIN_THROTTLE_AFTER_FAILURES: '1000',
  });
});
afterAll(() => t.stop());

async function register(email = uniqueEmail()) {
  const response = await t.gql(REGISTER, { input: { email, password: PASSWORD, name: 'Watcher' } });
  expect(response.errors).toBeUndefined();
  return { email, ...response.data!.register };
}

const names = (recording: { results: { data?: any }[] }) => recording.results.map((r) => r.data?.securityEvents?.name);

describe('securityEvents', () => {
  it("streams a user's own security events, and nobody else's", async () => {
    const me = await register();
    const other = await register();
    const ws = connect(t.url, me.accessToken);
    const live = ws.subscribe(SECURITY_EVENTS);
    await ws.connected;
    // Subscriptions start asynchronously; a first event proves this one is live.
    await waitFor(async () => {
      await t.gql(LOGIN, { input: { email: me.email, password: 'wrong password!' } });
      return live.results.length > 0;
    }, { what: 'the subscription to go live' });

    await t.gql(LOGIN, { input: { email: other.email, password: PASSWORD } });
    await t.gql(LOGIN, { input: { email: me.email, password: PASSWORD } });
    await waitFor(() => names(live).includes('auth.token.created'), { what: 'my login events' });
    for (const result of live.results) expect(result.data.securityEvents.payload.userId).toBe(me.user.id);
    expect(JSON.stringify(live.results)).not.toContain(PASSWORD);
    ws.dispose();
  });

  it('resumes after a seq with exactly the missed events, in order, then live', async () => {
    const me = await register();
    const first = connect(t.url, me.accessToken);
    const live = first.subscribe(SECURITY_EVENTS);
    await waitFor(async () => {
      await t.gql(LOGIN, { input: { email: me.email, password: 'wrong password!' } });
      return live.results.length > 0;
    }, { what: 'the subscription to go live' });
    const lastSeen = live.results.at(-1)!.data.securityEvents.seq;
    await first.dispose();

    for (let i = 0; i < 10; i++) await t.gql(LOGIN, { input: { email: me.email, password: `wrong password ${i}` } });
    const missed = await t.db.query<{ seq: string }>(
      `SELECT seq::text FROM events WHERE subject_user_id = $1 AND seq > $2 ORDER BY events.seq`,
      [me.user.id, lastSeen],
    );
    expect(missed.length).toBeGreaterThanOrEqual(20); // attempt + failure per login

    const second = connect(t.url, me.accessToken);
    const resumed = second.subscribe(SECURITY_EVENTS, { after: lastSeen });
    // Events committed while the replay runs must be neither lost nor repeated.
    const during = t.gql(LOGIN, { input: { email: me.email, password: PASSWORD } });
    await during;
    const expected = await waitFor(async () => {
      const all = await t.db.query<{ seq: string }>(
        `SELECT seq::text FROM events WHERE subject_user_id = $1 AND seq > $2 ORDER BY events.seq`,
        [me.user.id, lastSeen],
      );
      return resumed.results.length >= all.length && all;
    }, { what: 'the replay and the live events' });
    expect(resumed.results.map((r) => r.data.securityEvents.seq)).toEqual(expected.map((r) => r.seq));
    second.dispose();
  });

  it('shows every security event to platform admins only', async () => {
    const admin = await register(adminEmail);
    await verifyEmail(t, adminEmail); // a listed address is an admin once verified
    const someone = await register();
    const ws = connect(t.url, admin.accessToken);
    const live = ws.subscribe(SECURITY_EVENTS);
    await waitFor(async () => {
      await t.gql(LOGIN, { input: { email: someone.email, password: 'wrong password!' } });
      return live.results.some((r) => r.data?.securityEvents.payload.userId === someone.user.id);
    }, { what: "another user's event to reach the admin" });
    ws.dispose();
  });

  it('ends the connection when its session logs out', async () => {
    const me = await register();
    const ws = connect(t.url, me.accessToken);
    ws.subscribe(SECURITY_EVENTS);
    await ws.connected;
    await t.gql(LOGOUT, { refreshToken: me.refreshToken }, me.accessToken);
    const closed = await ws.closed;
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/session ended/i);
  });

  it('closes every session\'s sockets on every instance at logoutEverywhere', async () => {
    const me = await register();
    const second = (await t.gql(LOGIN, { input: { email: me.email, password: PASSWORD } })).data!.login;
    const peer = await t.startPeer();
    const here = connect(t.url, me.accessToken);
    const there = connect(peer.url, second.accessToken);
    here.subscribe(SECURITY_EVENTS);
    there.subscribe(SECURITY_EVENTS);
    await Promise.all([here.connected, there.connected]);

    const out = await t.gql(`mutation { logoutEverywhere }`, {}, me.accessToken);
    expect(out.data!.logoutEverywhere).toBe(2);
    const [a, b] = await within(Promise.all([here.closed, there.closed]), 10_000, 'both sockets to close');
    expect([a.code, b.code]).toEqual([4403, 4403]);
  });

  it('closes the sockets of a session whose refresh token was reused', async () => {
    const me = await register();
    await t.gql(REFRESH, { token: me.refreshToken });
    await t.db.query(
      `UPDATE refresh_tokens SET rotated_at = now() - interval '11 seconds'
       WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1) AND rotated_at IS NOT NULL`,
      [me.user.id],
    );
    const ws = connect(t.url, me.accessToken);
    ws.subscribe(SECURITY_EVENTS);
    await ws.connected;
    await t.gql(REFRESH, { token: me.refreshToken }); // the reuse
    const closed = await ws.closed;
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/reuse_detected/);
  });

  it('closes a consumer that cannot keep up, with a reason, instead of buffering without bound', async () => {
    const me = await register();
    const socket = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const messages: any[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    await new Promise((resolve) => socket.on('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${me.accessToken}` } }));
    await waitFor(() => messages.some((m) => m.type === 'connection_ack'), { what: 'connection_ack' });
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SECURITY_EVENTS } }));
    await waitFor(() => t.herald.liveStats().subscriptions === 1, { what: 'the subscription to start' });

    // Stop reading: the kernel buffers fill, the server's writes stall, its queue for us grows.
    // Events big enough to fill them (several MiB on loopback) before the batches run out.
    socket.pause(); // ws's public pause(): the socket stops reading
    const bigEmail = `${'x'.repeat(4000)}@example.com`;
    for (let batch = 0; batch < 10 && t.herald.liveStats().subscriptions > 0; batch++) {
      await t.herald.parts.transactions.run({ actorId: null, context: { requestId: null, ip: null, userAgent: null } }, async (tx) => {
        for (let i = 0; i < 500; i++) {
          tx.record('auth.login.failed', { userId: me.user.id, email: bigEmail, reason: 'wrong_password' });
        }
      });
    }
    await waitFor(() => t.herald.liveStats().subscriptions === 0, { what: 'the slow subscriber to be dropped', timeoutMs: 20_000 });
    socket.resume();
    const { code, reason } = await closed;
    expect(code).toBe(HeraldCloseCode.SlowConsumer);
    expect(code).toBe(4601); // not 4429: graphql-ws's client gives up on that one, and this one it retries
    expect(reason).toMatch(/too slow/i);
    await waitFor(() => t.herald.liveStats().connections === 0, { what: 'the server to forget the connection' });
  });
});
