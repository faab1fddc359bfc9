import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { RateLimitedError } from '../errors/domain-errors';
import { createLogger } from '../logger';
import { AuthRateLimits } from './auth-rate-limits';

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

async function charges(count: number, charge: () => Promise<void>): Promise<(number | 'ok')[]> {
  const outcomes: (number | 'ok')[] = [];
  for (let i = 0; i < count; i++) {
    try {
      await charge();
      outcomes.push('ok');
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      outcomes.push(error.retryAfterSeconds);
    }
  }
  return outcomes;
}

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
    const outcomes = await charges(3, () => limits.chargeIp('login', '192.0.2.3'));
    expect(outcomes.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(outcomes[2]).toEqual(expect.any(Number));
    expect(lines.join('')).not.toContain('rate limiter failed');
  });
});
