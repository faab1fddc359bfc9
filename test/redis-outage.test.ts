import { Redis } from 'ioredis';
import { createEventBus } from '../src/events/pubsub';
import { createLogger } from '../src/logger';
import { LOGIN, REGISTER, errorCode, type GraphQLResponse } from './support/graphql-client';
import { startHeraldCluster, type HeraldCluster, type HeraldInstance } from './support/herald-cluster';
import { uniqueEmail } from './support/herald';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis';
import { waitFor } from './support/wait';
import { SECURITY_EVENTS, connect } from './support/ws-client';

/**
 * Redis down while mutations run (issue 3; "Redis restarted under load", issue 8): a Herald
 * process on a Redis of this test's own, stopped and started again on the same port. Mutations
 * keep answering, listeners keep running, events wait in the store, and go out when Redis is back.
 */
const PASSWORD = 'correct horse battery';
/** Longest a mutation may take with Redis down; a client waiting on Redis would hit it. */
const HTTP_TIMEOUT_MS = 10_000;

let redis: PrivateRedis;
let cluster: HeraldCluster;
let herald: HeraldInstance;
beforeAll(async () => {
  redis = await startPrivateRedis();
  cluster = await startHeraldCluster({ env: { REDIS_URL: redis.url } });
  herald = await cluster.start();
}, 120_000);
afterAll(async () => {
  await cluster?.close();
  await redis?.remove();
}, 60_000);

const maxSeq = async () => (await cluster.db.query<{ seq: string }>(`SELECT coalesce(max(seq), 0)::text AS seq FROM events`))[0].seq;
const eventsAfter = (seq: string) =>
  cluster.db.query<{ unpublished: number; published: number }>(
    `SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished,
            count(*) FILTER (WHERE published_at IS NOT NULL)::int AS published
     FROM events WHERE seq > $1`,
    [seq],
  );

async function timed(operation: Promise<GraphQLResponse>): Promise<{ response: GraphQLResponse; ms: number }> {
  const started = performance.now();
  const response = await operation;
  return { response, ms: Math.round(performance.now() - started) };
}

it('serves mutations and runs listeners without Redis, then publishes what waited and streams again', async () => {
  const email = uniqueEmail('watcher');
  const me = (await herald.gql(REGISTER, { input: { email, password: PASSWORD, name: 'Watcher' } })).data!.register;
  const ws = connect(herald.url, me.accessToken);
  const live = ws.subscribe(SECURITY_EVENTS);
  const seqsReceived = () => live.results.map((r) => r.data.securityEvents.seq as string);
  await waitFor(async () => {
    await herald.gql(LOGIN, { input: { email, password: 'not my password' } });
    return live.results.length > 0;
  }, { timeoutMs: 30_000, what: 'the subscription to go live' });

  const beforeOutage = await maxSeq();
  await redis.stop();
  const newcomers = Array.from({ length: 5 }, (_, i) => uniqueEmail(`noredis${i}`));
  const answers = [];
  for (const newcomer of newcomers) {
    const input = { email: newcomer, password: PASSWORD, name: 'No Redis' };
    answers.push(await timed(herald.gql(REGISTER, { input }, { timeoutMs: HTTP_TIMEOUT_MS })));
  }
  const failedLogin = await timed(herald.gql(LOGIN, { input: { email, password: 'still not it' } }, { timeoutMs: HTTP_TIMEOUT_MS }));
  const login = await timed(herald.gql(LOGIN, { input: { email, password: PASSWORD } }, { timeoutMs: HTTP_TIMEOUT_MS }));
  console.log(`with Redis down, mutations answered in ${[...answers, failedLogin, login].map((a) => a.ms).join(', ')} ms`);
  expect(answers.map((a) => a.response.errors)).toEqual(newcomers.map(() => undefined));
  expect(errorCode(failedLogin.response)).toBe('UNAUTHENTICATED');
  expect(login.response.errors).toBeUndefined();

  // A dashboard that connects during the outage goes live too (on the store's poll).
  const newcomer = answers[0].response.data!.register;
  const lateWs = connect(herald.url, newcomer.accessToken);
  const late = lateWs.subscribe(SECURITY_EVENTS);
  await waitFor(async () => {
    await herald.gql(LOGIN, { input: { email: newcomers[0], password: 'not the password' } }, { timeoutMs: HTTP_TIMEOUT_MS });
    return late.results.length > 0;
  }, { timeoutMs: 30_000, what: 'a subscription opened during the outage to go live' });

  // Listeners run all the same (woken locally, or by their poll): the welcome emails go out.
  await waitFor(() => newcomers.every((to) => cluster.smtp.to(to).length === 1), {
    timeoutMs: 30_000,
    what: 'the welcome emails sent while Redis is down',
  });
  // ...but nothing reached the bus: every event since the outage waits in the store.
  const [waiting] = await eventsAfter(beforeOutage);
  expect(waiting.published).toBe(0);
  expect(waiting.unpublished).toBeGreaterThanOrEqual(newcomers.length * 3 + 4); // 3 per registration, 2 per login, and more from listeners
  await herald.server.waitForLog((line) => line.msg === 'Redis unreachable; reconnecting in the background', {
    timeoutMs: 5_000,
    what: 'the instance to say Redis is unreachable',
  });

  const restartedAt = performance.now();
  await redis.start();
  await waitFor(async () => (await eventsAfter(beforeOutage))[0].unpublished === 0, {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: 'the sweep to publish every event that waited',
  });
  console.log(`${waiting.unpublished} waiting events published ${Math.round(performance.now() - restartedAt)} ms after Redis restarted`);
  expect(herald.server.logs.some((line) => line.msg === 'sweep published events that had been left unpublished')).toBe(true);

  // The subscriber receives events again, and over the whole outage it got exactly its account's
  // security events, in order, each once.
  const beforeLogin = await maxSeq();
  await herald.gql(LOGIN, { input: { email, password: 'wrong again' } });
  await waitFor(() => seqsReceived().some((seq) => BigInt(seq) > BigInt(beforeLogin)), {
    timeoutMs: 20_000,
    what: 'the subscriber to receive an event after Redis is back',
  });
  const expected = await cluster.db.query<{ seq: string }>(
    `SELECT seq::text FROM events WHERE subject_user_id = $1 AND seq >= $2 ORDER BY events.seq`,
    [me.user.id, seqsReceived()[0]],
  );
  await waitFor(() => live.results.length >= expected.length, { timeoutMs: 10_000, what: 'every security event' });
  expect(seqsReceived()).toEqual(expected.map((row) => row.seq));
  expect(live.error).toBeUndefined();
  const lateReceived = late.results.length;
  await herald.gql(LOGIN, { input: { email: newcomers[0], password: 'wrong once more' } });
  await waitFor(() => late.results.length > lateReceived, { timeoutMs: 20_000, what: 'the late subscriber to receive again' });
  await Promise.all([ws.dispose(), lateWs.dispose()]);
}, 180_000);

it('stops with exit 0 on SIGTERM while Redis is down, even with a subscription opening', async () => {
  const me = (await herald.gql(REGISTER, { input: { email: uniqueEmail('leaving'), password: PASSWORD, name: 'Leaving' } })).data!
    .register;
  await redis.stop();
  const ws = connect(herald.url, me.accessToken);
  ws.subscribe(SECURITY_EVENTS); // its stream subscribes to Redis, which cannot answer
  await ws.connected;
  const signalledAt = performance.now();
  herald.server.signal('SIGTERM');
  const { code } = await herald.server.exited;
  console.log(`stopped with Redis down in ${Math.round(performance.now() - signalledAt)} ms`);
  expect(code).toBe(0);
  expect(herald.server.logs.at(-1)?.msg).toBe('Herald stopped');
  await ws.dispose();
}, 60_000);

it('closes its Redis connections without leaving a timer behind when Redis is down', async () => {
  await redis.start();
  const bus = createEventBus({ redisUrl: redis.url, prefix: 'herald-test-close:', logger: createLogger('silent') });
  await waitFor(() => bus.isReachable(), { what: 'the bus to connect' });
  await redis.stop();
  await waitFor(async () => !(await bus.isReachable()), { what: 'the bus to notice' });
  // ioredis arms a timer on disconnect that only the socket's 'close' clears; a socket lost in
  // the outage has closed already, so a long one would keep a stopped process alive that long.
  const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
  try {
    await bus.close();
    expect(setTimeoutSpy.mock.calls.map(([, ms]) => ms ?? 0).filter((ms) => ms >= 100)).toEqual([]);
  } finally {
    setTimeoutSpy.mockRestore();
  }
});

it('starts while Redis is unreachable, serves on its polls with /readyz degraded, and takes the fast path once Redis answers', async () => {
  await redis.stop();
  const late = await cluster.start(); // ready without Redis (start() waits for the ready line)
  expect(late.server.logs.some((line) => /^Redis is unreachable at .*; starting without it/.test(String(line.msg)))).toBe(true);
  const readyz = async () => (await (await fetch(`${late.url}/readyz`)).json()) as { status: string; checks: Record<string, boolean> };
  expect(await readyz()).toEqual({ status: 'degraded', checks: { database: true, pubsub: false } });

  // It serves: a registration answers, and its welcome email goes out (listeners on local wake-ups and polls).
  const email = uniqueEmail('startedwithout');
  const answer = await late.gql(REGISTER, { input: { email, password: PASSWORD, name: 'Late' } }, { timeoutMs: HTTP_TIMEOUT_MS });
  expect(answer.errors).toBeUndefined();
  await waitFor(() => cluster.smtp.to(email).length === 1, { timeoutMs: 30_000, what: 'the welcome email, sent without Redis' });

  // Redis answers: the instance is ready, subscribed to the events channel (the fast path), and
  // what waited in the store is published.
  await redis.start();
  await waitFor(async () => (await readyz()).status === 'ready', { timeoutMs: 30_000, what: '/readyz to say ready' });
  const probe = new Redis(redis.url);
  try {
    await waitFor(async () => {
      const [, subscribers] = (await probe.pubsub('NUMSUB', `${cluster.env.REDIS_PREFIX}events`)) as [string, number];
      return subscribers >= 1;
    }, { timeoutMs: 30_000, what: 'the instance to subscribe to the events channel' });
  } finally {
    probe.disconnect();
  }
  await waitFor(async () => {
    const [row] = await cluster.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE published_at IS NULL`);
    return row.n === 0;
  }, { timeoutMs: 30_000, intervalMs: 200, what: 'the events committed without Redis to be published' });
  await late.server.kill();
}, 120_000);
