import { LOGIN, ME, REGISTER, errorCode, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis';
import { waitFor } from './support/wait';

const PASSWORD = 'a fine password';

async function probe(herald: TestHerald, path: '/healthz' | '/readyz') {
  const response = await fetch(`${herald.url}${path}`);
  return { status: response.status, body: (await response.json()) as { status: string; checks?: Record<string, boolean> } };
}

/** SERVICE_UNAVAILABLE with the seconds to wait, and nothing about the failure inside. */
function expectUnavailable(response: GraphQLResponse) {
  expect(response.errors).toEqual([
    expect.objectContaining({
      message: 'A service this request needs is unavailable right now; try again in 5 s.',
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 },
    }),
  ]);
  expect(response.text).not.toMatch(/ECONNREFUSED|connect|SELECT|postgres|sql|terminat|\n\s+at |stacktrace/i);
}

describe('with the shared services up', () => {
  let t: TestHerald;
  beforeAll(async () => {
    t = await startTestHerald();
  });
  afterAll(() => t.stop());

  it('answers /healthz with 200', async () => {
    expect(await probe(t, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers /readyz with 200, the database and the pubsub reachable', async () => {
    expect(await probe(t, '/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: true, pubsub: true } },
    });
  });
});

describe('when its PostgreSQL stops and comes back', () => {
  let pg: PrivatePostgres;
  let t: TestHerald;
  let email: string;
  let accessToken: string;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    t = await startTestHerald({ DATABASE_URL: pg.url });
    email = uniqueEmail('outage');
    accessToken = (await t.gql(REGISTER, { input: { email, password: PASSWORD, name: 'Outage' } })).data!.register
      .accessToken;
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await pg?.remove();
  }, 60_000);

  it('answers /readyz with 503 and database false, while /healthz stays 200', async () => {
    await pg.stop();
    expect(await probe(t, '/readyz')).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { database: false, pubsub: true } },
    });
    expect((await probe(t, '/healthz')).status).toBe(200);
  });

  it('answers mutations with SERVICE_UNAVAILABLE and a retryAfter, instead of crashing or an internal error', async () => {
    const attempts = [
      await t.gql(LOGIN, { input: { email, password: PASSWORD } }),
      await t.gql(REGISTER, { input: { email: uniqueEmail('during-outage'), password: PASSWORD, name: 'Later' } }),
      await t.gql(LOGIN, { input: { email, password: 'wrong password' } }),
    ];
    for (const response of attempts) {
      expect(response.status).toBe(200);
      expect(response.data).toBeNull();
      expectUnavailable(response);
    }
  });

  it('answers a request whose token cannot be checked with 503, SERVICE_UNAVAILABLE and Retry-After', async () => {
    const response = await t.gql(ME, {}, accessToken);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expectUnavailable(response);
  });

  it('logs the outage once, with its cause, not once per request', () => {
    const said = t.logs.filter((line) => String(line.msg).startsWith('a dependency is unreachable'));
    expect(said).toHaveLength(1);
    expect(JSON.stringify(said[0])).toMatch(/ECONNREFUSED/);
    const perRequest = t.logs.filter((line) => line.msg === 'unexpected error' || line.msg === 'could not build the request context');
    expect(perRequest).toEqual([]);
  });

  it('becomes ready again by itself once PostgreSQL is back on the same port', async () => {
    await pg.start();
    await waitFor(async () => (await probe(t, '/readyz')).status === 200, {
      timeoutMs: 20_000,
      what: '/readyz to answer 200 again',
    });
    expect((await probe(t, '/readyz')).body.checks).toEqual({ database: true, pubsub: true });
    const login = await t.gql(LOGIN, { input: { email, password: PASSWORD } });
    expect(login.errors).toBeUndefined();
    expect((await t.gql(ME, {}, login.data!.login.accessToken)).data!.me.email).toBe(email);
    expect(t.logs.filter((line) => line.msg === 'the unreachable dependency answers again: mutations succeed')).toHaveLength(1);
  });
});

describe('when its Redis stops and comes back', () => {
  let redis: PrivateRedis;
  let t: TestHerald;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await startTestHerald({ REDIS_URL: redis.url });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await redis?.remove();
  });

  it('answers /readyz with 200 degraded and pubsub false (it serves on polls), and still serves mutations', async () => {
    await redis.stop();
    expect(await probe(t, '/readyz')).toEqual({
      status: 200,
      body: { status: 'degraded', checks: { database: true, pubsub: false } },
    });
    // Events wait in the store for the sweep; the write itself does not need Redis.
    const input = { email: uniqueEmail('no-redis'), password: PASSWORD, name: 'No Redis' };
    expect(errorCode(await t.gql(REGISTER, { input }))).toBeUndefined();
  });

  it('becomes ready again by itself once Redis is back on the same port', async () => {
    await redis.start();
    await waitFor(async () => (await probe(t, '/readyz')).body.status === 'ready', {
      timeoutMs: 20_000,
      what: '/readyz to say ready again',
    });
  });
});
