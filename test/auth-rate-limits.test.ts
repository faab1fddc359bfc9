import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { REDIS_URL } from './support/env';
import { LOGIN, REFRESH, REGISTER, errorCode, gql, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor } from './support/wait';

/**
 * Rate limits of register, login and refreshToken, Redis-backed, over real HTTP: 4 per minute per
 * client IP (X-Forwarded-For), 2 of each per minute per account.
 */
const PREFIX = `herald-test-rl-${randomBytes(4).toString('hex')}:`;
let t: TestHerald;
let redis: Redis;
beforeAll(async () => {
  t = await startTestHerald({
    TRUST_PROXY: '1',
    REDIS_PREFIX: PREFIX,
    RATE_LIMIT_AUTH_PER_MINUTE: '4',
    RATE_LIMIT_AUTH_PER_ACCOUNT_PER_MINUTE: '2',
  });
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis.disconnect();
  await t.stop();
});

const PASSWORD = 'correct horse battery';
let ipCounter = 0;
/** A client IP no other test uses. */
const newIp = () => `10.9.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;
const as = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

const register = (email: string, ip: string) =>
  gql(t.url, REGISTER, { input: { email, password: PASSWORD, name: 'Ada' } }, as(ip));
const login = (email: string, ip: string, password = 'not the password') =>
  gql(t.url, LOGIN, { input: { email, password } }, as(ip));
const refresh = (token: string, ip: string) => gql(t.url, REFRESH, { token }, as(ip));

function expectRateLimited(response: GraphQLResponse) {
  expect(errorCode(response)).toBe('RATE_LIMITED');
  const retryAfter = response.errors![0].extensions!.retryAfter;
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

async function signedUp(): Promise<{ email: string; refreshToken: string }> {
  const email = uniqueEmail();
  const response = await register(email, newIp());
  expect(response.errors).toBeUndefined();
  return { email, refreshToken: response.data!.register.refreshToken };
}

describe('per client IP', () => {
  it('limits register, then answers RATE_LIMITED with retryAfter; another IP is unaffected', async () => {
    const ip = newIp();
    for (let i = 0; i < 4; i++) expect((await register(uniqueEmail(), ip)).errors).toBeUndefined();
    expectRateLimited(await register(uniqueEmail(), ip));
    expect((await register(uniqueEmail(), newIp())).errors).toBeUndefined();
  });

  it('limits login', async () => {
    const ip = newIp();
    for (let i = 0; i < 4; i++) expect(errorCode(await login(uniqueEmail(), ip))).toBe('UNAUTHENTICATED');
    expectRateLimited(await login(uniqueEmail(), ip));
    expect(errorCode(await login(uniqueEmail(), newIp()))).toBe('UNAUTHENTICATED');
  });

  it('limits refreshToken', async () => {
    const { refreshToken } = await signedUp();
    const ip = newIp();
    for (let i = 0; i < 4; i++) expect(errorCode(await refresh(`bogus-${i}`, ip))).toBe('UNAUTHENTICATED');
    expectRateLimited(await refresh(refreshToken, ip));
    expect((await refresh(refreshToken, newIp())).errors).toBeUndefined();
  });

  it('counts the three mutations together', async () => {
    const { refreshToken } = await signedUp();
    const ip = newIp();
    expect((await register(uniqueEmail(), ip)).errors).toBeUndefined();
    expect(errorCode(await login(uniqueEmail(), ip))).toBe('UNAUTHENTICATED');
    expect((await refresh(refreshToken, ip)).errors).toBeUndefined();
    expect(errorCode(await login(uniqueEmail(), ip))).toBe('UNAUTHENTICATED');
    expectRateLimited(await register(uniqueEmail(), ip));
  });

  it('keeps its counts in Redis under REDIS_PREFIX', async () => {
    const ip = newIp();
    await login(uniqueEmail(), ip);
    expect(await redis.get(`${PREFIX}rate-limit:auth-ip:${ip}`)).toBe('1');
  });
});

describe('per account', () => {
  it('limits login to one account from any IPs, without touching other accounts or operations', async () => {
    const { email, refreshToken } = await signedUp();
    expect(errorCode(await login(email, newIp()))).toBe('UNAUTHENTICATED');
    expect(errorCode(await login(email, newIp()))).toBe('UNAUTHENTICATED');
    expectRateLimited(await login(email, newIp(), PASSWORD));
    // Another account is unaffected, and so are this account's refreshes.
    expect(errorCode(await login(uniqueEmail(), newIp()))).toBe('UNAUTHENTICATED');
    expect((await refresh(refreshToken, newIp())).errors).toBeUndefined();
  });

  it('limits register of one email', async () => {
    const email = uniqueEmail();
    expect((await register(email, newIp())).errors).toBeUndefined();
    expect(errorCode(await register(email, newIp()))).toBe('CONFLICT');
    expectRateLimited(await register(email, newIp()));
  });

  it("limits refreshToken of one account's sessions", async () => {
    let { refreshToken } = await signedUp();
    for (let i = 0; i < 2; i++) {
      const response = await refresh(refreshToken, newIp());
      expect(response.errors).toBeUndefined();
      refreshToken = response.data!.refreshToken.refreshToken;
    }
    expectRateLimited(await refresh(refreshToken, newIp()));
  });
});

describe('with Redis down', () => {
  it('lets the mutations through, limited per instance in memory, and goes back to Redis after', async () => {
    const redisServer = await startPrivateRedis();
    const own = await startTestHerald({
      TRUST_PROXY: '1',
      REDIS_URL: redisServer.url,
      REDIS_PREFIX: PREFIX,
      RATE_LIMIT_AUTH_PER_MINUTE: '3',
    });
    const client = new Redis(redisServer.url, { lazyConnect: true });
    client.on('error', () => undefined);
    try {
      redisServer.kill();
      await waitFor(() => own.logText().includes('Redis unreachable'), { what: 'the outage to be noticed' });
      const ip = newIp();
      const email = uniqueEmail();
      const registered = await gql(own.url, REGISTER, { input: { email, password: PASSWORD, name: 'Ada' } }, as(ip));
      expect(registered.errors).toBeUndefined();
      const loggedIn = await gql(own.url, LOGIN, { input: { email, password: PASSWORD } }, as(ip));
      expect(loggedIn.errors).toBeUndefined();
      const token = loggedIn.data!.login.refreshToken;
      expect((await gql(own.url, REFRESH, { token }, as(ip))).errors).toBeUndefined();
      // The in-memory insurance limiter counted those three.
      expectRateLimited(await gql(own.url, LOGIN, { input: { email, password: PASSWORD } }, as(ip)));
      expect(own.logText()).not.toContain('rate limiter failed');

      // Redis back on the same port: the counts go to Redis again.
      await redisServer.start();
      await waitFor(
        async () => {
          const fresh = newIp();
          await gql(own.url, LOGIN, { input: { email: uniqueEmail(), password: PASSWORD } }, as(fresh));
          if (client.status !== 'ready') await client.connect().catch(() => undefined);
          return (await client.get(`${PREFIX}rate-limit:auth-ip:${fresh}`)) === '1';
        },
        { what: 'rate limits counted in Redis again', intervalMs: 200 },
      );
    } finally {
      client.disconnect();
      // Stopped while its Redis is up: ioredis keeps a closed connection's socket for 2 s otherwise.
      await own.stop();
      redisServer.kill();
      redisServer.remove();
    }
  });
});

/** A Redis of this test's own on a free port (the shared one is never stopped). */
async function startPrivateRedis() {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { detached: true, stdio: 'ignore' },
    );
    const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => undefined);
    await waitFor(async () => (await client.connect().then(() => client.ping())) === 'PONG', { what: 'the private Redis' });
    client.disconnect();
  };
  await start();
  return {
    url,
    start,
    /** Kills the server (its process group); safe to call twice. */
    kill: () => {
      try {
        process.kill(-child!.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
