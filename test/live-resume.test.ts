import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { HeraldCloseCode } from '../src/live/close-codes';
import { REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor } from './support/wait';
import { SECURITY_EVENTS } from './support/ws-client';

/**
 * graphql-ws's own client, with its defaults (lazy, 5 retries, its backoff, its `shouldRetry`),
 * against a slow-consumer close: the client reconnects by itself and, with the README's recipe
 * (drop what is at or below the last seq seen), the application sees every event once, in order.
 */
let t: TestHerald;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestHerald({
    SUBSCRIBER_QUEUE_LIMIT: '20',
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_AUTH_PER_ACCOUNT_PER_MINUTE: '100000',
  });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await t.stop();
});

/** `ws`'s WebSocket, remembering each socket the client opens (to stop reading one, as a slow consumer). */
class RememberedSocket extends WebSocket {
  static opened: RememberedSocket[] = [];
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    RememberedSocket.opened.push(this);
  }
}

it('resumes after a slow-consumer close by itself, and the recipe leaves no gap and no duplicate', async () => {
  const email = uniqueEmail('slow');
  const registered = await t.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'Slow' } });
  const { accessToken, user } = registered.data!.register;
  const [{ start }] = await t.db.query<{ start: string }>(`SELECT coalesce(max(seq), 0)::text AS start FROM events`);

  const closes: number[] = [];
  let connections = 0;
  const client = createClient({
    url: `${t.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: RememberedSocket, // Node 20 has no global WebSocket; everything else is the default
    connectionParams: () => ({ authorization: `Bearer ${accessToken}` }),
    on: {
      connected: () => connections++,
      closed: (event) => closes.push((event as { code: number }).code),
    },
  });
  clients.push(client);

  // The recipe: the client resubscribes with the payload it first sent, so the replay starts at the
  // first cursor again; the application drops what it has already seen.
  let lastSeq = BigInt(start);
  const seen: string[] = [];
  let duplicatesDropped = 0;
  let failed: unknown = null;
  client.subscribe<{ securityEvents: { seq: string } }>(
    { query: SECURITY_EVENTS, variables: { after: start } },
    {
      next: ({ data }) => {
        const seq = BigInt(data!.securityEvents.seq);
        if (seq <= lastSeq) {
          duplicatesDropped++;
          return;
        }
        lastSeq = seq;
        seen.push(data!.securityEvents.seq);
      },
      error: (error) => (failed = error),
      complete: () => undefined,
    },
  );
  await waitFor(() => t.herald.liveStats().subscriptions === 1, { what: 'the subscription to start' });

  // Stop reading (ws's public pause()): the kernel buffers fill, then the server's queue for us.
  const first = RememberedSocket.opened.at(-1)!;
  first.pause();
  const bigEmail = `${'x'.repeat(4000)}@example.com`;
  const origin = { actorId: null, context: { requestId: null, ip: null, userAgent: null } };
  for (let batch = 0; batch < 10 && t.herald.liveStats().subscriptions > 0; batch++) {
    await t.herald.parts.transactions.run(origin, async (tx) => {
      for (let i = 0; i < 500; i++) tx.record('auth.login.failed', { userId: user.id, email: bigEmail, reason: 'wrong_password' });
    });
  }
  await waitFor(() => t.herald.liveStats().subscriptions === 0, { what: 'the slow subscriber to be dropped', timeoutMs: 20_000 });
  first.resume();

  // It reconnects on its own (a new socket), resubscribes, and goes on receiving live.
  await waitFor(() => connections === 2 && t.herald.liveStats().subscriptions === 1, {
    what: 'the client to reconnect and resubscribe',
    timeoutMs: 20_000,
  });
  expect(closes[0]).toBe(HeraldCloseCode.SlowConsumer);
  await t.herald.parts.transactions.run(origin, async (tx) => {
    tx.record('auth.login.failed', { userId: user.id, email, reason: 'wrong_password' });
  });
  const stored = await t.db.query<{ seq: string }>(
    `SELECT seq::text FROM events WHERE subject_user_id = $1 AND seq > $2 ORDER BY events.seq`,
    [user.id, start],
  );
  const last = stored.at(-1)!.seq;
  await waitFor(() => seen.at(-1) === last, { what: 'every event, the live one after the resume included', timeoutMs: 30_000 });
  expect(failed).toBeNull();
  expect(seen).toEqual(stored.map((row) => row.seq));
  // The resubscription replayed from the first cursor: the recipe is what kept those out.
  expect(duplicatesDropped).toBeGreaterThan(0);
});
