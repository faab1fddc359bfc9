import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimitedError } from '../src/errors/domain-errors';
import { createLogger } from '../src/logger';
import { AuthRateLimits, accountKey } from '../src/services/auth-rate-limits';
import { REDIS_URL } from './support/env';
import { charges } from './support/rate-limits';

/**
 * AuthRateLimits on the real Redis, without a server: the keys it counts under (the deployment's
 * prefix, one limiter per limit) and counts shared by instances. Over HTTP: auth-rate-limits.test.ts.
 */
const logger = createLogger('silent');

describe('AuthRateLimits with Redis', () => {
  let redis: Redis;
  const prefix = `herald-test-rlk-${randomBytes(4).toString('hex')}:`;
  beforeAll(async () => {
    // As Herald's own connection: no offline queue (src/events/pubsub.ts).
    redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    await redis.connect();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("counts in Redis under the deployment's prefix, one limiter each, so instances share the counts", async () => {
    const options = { perIpPerMinute: 2, perAccountPerMinute: 2, registerConflictsPerHour: 1, redis, prefix, logger };
    const [one, another] = [new AuthRateLimits(options), new AuthRateLimits(options)];
    await one.chargeIp('login', '192.0.2.20');
    await one.chargeIp('login', null);
    await one.chargeAccount('login', 'a@example.com');
    await one.countRegisterConflict('192.0.2.20');
    await one.countRegisterConflict(null);
    expect((await redis.keys(`${prefix}*`)).sort()).toEqual(
      [
        `${prefix}rate-limit:auth-ip:192.0.2.20`,
        `${prefix}rate-limit:auth-ip:unknown`,
        `${prefix}rate-limit:auth-account:${accountKey('login', 'a@example.com')}`,
        `${prefix}rate-limit:register-conflicts:192.0.2.20`,
        `${prefix}rate-limit:register-conflicts:unknown`,
      ].sort(),
    );
    // The other instance sees what the first one counted.
    expect(await charges(2, () => another.chargeIp('login', '192.0.2.20'))).toEqual(['ok', expect.any(Number)]);
    await expect(another.checkRegisterConflicts('192.0.2.20')).rejects.toBeInstanceOf(RateLimitedError);
  });
});
