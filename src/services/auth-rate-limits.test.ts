import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors/domain-errors';
import { createLogger } from '../logger';
import { AuthRateLimits, chargeLimiter } from './auth-rate-limits';
import { charges } from '../../test/support/rate-limits';

const lines: string[] = [];
const logger = createLogger(
  'debug',
  new Writable({
    write(chunk, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  }),
);

describe('AuthRateLimits in memory (embedded mode)', () => {
  const limits = new AuthRateLimits({ perIpPerMinute: 3, perAccountPerMinute: 2, registerConflictsPerHour: 10, prefix: 'unit:', logger });

  it('is the memory kind without Redis', () => {
    expect(limits.kind).toBe('memory');
  });

  it('refuses an IP past its limit with RATE_LIMITED and a retry-after, and only that IP', async () => {
    const outcomes = await charges(4, () => limits.chargeIp('login', '192.0.2.1'));
    expect(outcomes.slice(0, 3)).toEqual(['ok', 'ok', 'ok']);
    expect(outcomes[3]).toBeGreaterThanOrEqual(59);
    expect(outcomes[3]).toBeLessThanOrEqual(60);
    await expect(limits.chargeIp('register', '192.0.2.2')).resolves.toBeUndefined();
  });

  it('counts each operation of an account on its own', async () => {
    expect(await charges(3, () => limits.chargeAccount('login', 'a@example.com'))).toEqual(['ok', 'ok', expect.any(Number)]);
    await expect(limits.chargeAccount('refreshToken', 'a@example.com')).resolves.toBeUndefined();
    await expect(limits.chargeAccount('login', 'b@example.com')).resolves.toBeUndefined();
  });

  it('forgets what an account spent on one operation, and only on that one', async () => {
    expect(await charges(3, () => limits.chargeAccount('login', 'c@example.com'))).toEqual(['ok', 'ok', expect.any(Number)]);
    expect(await charges(3, () => limits.chargeAccount('refreshToken', 'c@example.com'))).toEqual(['ok', 'ok', expect.any(Number)]);
    await limits.forgetAccount('login', 'c@example.com');
    expect(await charges(3, () => limits.chargeAccount('login', 'c@example.com'))).toEqual(['ok', 'ok', expect.any(Number)]);
    expect(await charges(1, () => limits.chargeAccount('refreshToken', 'c@example.com'))).toEqual([expect.any(Number)]);
  });

  it("refuses every register of an address told CONFLICT too often this hour, until the hour is over", async () => {
    const conflicts = new AuthRateLimits({ perIpPerMinute: 100, perAccountPerMinute: 100, registerConflictsPerHour: 2, prefix: 'unit:', logger });
    await conflicts.checkRegisterConflicts('192.0.2.10');
    await conflicts.countRegisterConflict('192.0.2.10');
    await expect(conflicts.checkRegisterConflicts('192.0.2.10')).resolves.toBeUndefined();
    await conflicts.countRegisterConflict('192.0.2.10');
    const refusal = await conflicts.checkRegisterConflicts('192.0.2.10').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RateLimitedError);
    expect((refusal as RateLimitedError).retryAfterSeconds).toBeGreaterThan(3590);
    expect((refusal as RateLimitedError).retryAfterSeconds).toBeLessThanOrEqual(3600);
    // Another address is not refused; requests without an address count together.
    await expect(conflicts.checkRegisterConflicts('192.0.2.11')).resolves.toBeUndefined();
    await conflicts.countRegisterConflict(null);
    await conflicts.countRegisterConflict(null);
    await expect(conflicts.checkRegisterConflicts(null)).rejects.toBeInstanceOf(RateLimitedError);
    await expect(conflicts.checkRegisterConflicts('192.0.2.11')).resolves.toBeUndefined();
  });
});

describe('a limiter that fails (not a refusal)', () => {
  const failing = (method: string) =>
    ({ [method]: () => Promise.reject(new Error('limiter broke')) }) as unknown as RateLimiterAbstract;

  it('lets the request through and warns with the context given', async () => {
    lines.length = 0;
    await expect(chargeLimiter(failing('consume'), 'k', logger, { operation: 'verifyEmail' })).resolves.toBeUndefined();
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 40, operation: 'verifyEmail', msg: 'rate limiter failed; letting the request through' }),
    ]);
  });

  it('never fails an auth mutation: each method lets it through and warns, naming the operation', async () => {
    // The limiters createLimiter builds send every Redis failure to their insurance limiter, so this
    // path is a defence against the library failing otherwise: the limiters are replaced here.
    const limits = new AuthRateLimits({ perIpPerMinute: 1, perAccountPerMinute: 1, registerConflictsPerHour: 1, prefix: 'unit:', logger });
    Object.assign(limits, {
      perIp: failing('consume'),
      perAccount: { ...failing('consume'), ...failing('delete') },
      registerConflicts: { ...failing('get'), ...failing('penalty') },
    });
    lines.length = 0;
    await expect(limits.chargeIp('login', '192.0.2.30')).resolves.toBeUndefined();
    await expect(limits.chargeAccount('refreshToken', 'a@example.com')).resolves.toBeUndefined();
    await expect(limits.forgetAccount('resetPassword', 'a@example.com')).resolves.toBeUndefined();
    await expect(limits.checkRegisterConflicts('192.0.2.30')).resolves.toBeUndefined();
    await expect(limits.countRegisterConflict('192.0.2.30')).resolves.toBeUndefined();
    expect(lines.map((line) => JSON.parse(line)).map(({ level, operation, msg, err }) => ({ level, operation, msg, err: err?.message }))).toEqual([
      { level: 40, operation: 'login', msg: 'rate limiter failed; letting the request through', err: 'limiter broke' },
      { level: 40, operation: 'refreshToken', msg: 'rate limiter failed; letting the request through', err: 'limiter broke' },
      { level: 40, operation: 'resetPassword', msg: 'could not reset a rate limit', err: 'limiter broke' },
      { level: 40, operation: 'register', msg: 'rate limiter failed; letting the request through', err: 'limiter broke' },
      { level: 40, operation: 'register', msg: 'rate limiter failed; the conflict was not counted', err: 'limiter broke' },
    ]);
  });
});

describe('AuthRateLimits with Redis down', () => {
  let redis: Redis;
  beforeAll(async () => {
    // A port nothing listens on: the connection never becomes ready.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    // (disconnectTimeout: ioredis otherwise keeps the refused socket's close timer for 2 s.)
    redis = new Redis(port, '127.0.0.1', { enableOfflineQueue: false, maxRetriesPerRequest: 1, disconnectTimeout: 50 });
    redis.on('error', () => undefined);
  });
  afterAll(() => redis.disconnect());

  it('does not fail the mutation: the in-memory insurance limiter counts instead', async () => {
    const limits = new AuthRateLimits({ perIpPerMinute: 2, perAccountPerMinute: 2, registerConflictsPerHour: 10, redis, prefix: 'unit:', logger });
    expect(limits.kind).toBe('redis');
    lines.length = 0;
    const outcomes = await charges(3, () => limits.chargeIp('login', '192.0.2.3'));
    expect(outcomes.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(outcomes[2]).toEqual(expect.any(Number));
    expect(lines.join('')).not.toContain('rate limiter failed');
  });
});
