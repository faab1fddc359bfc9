import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors/domain-errors';
import type { Logger } from '../logger';

/** The mutations that are rate limited. */
export type AuthOperation = 'register' | 'login' | 'refreshToken';

export interface AuthRateLimitOptions {
  /** register + login + refreshToken together, per client IP per minute. */
  perIpPerMinute: number;
  /** Each of them per account per minute. */
  perAccountPerMinute: number;
  /**
   * A Redis connection that fails fast while Redis is down: the limits are then shared by every
   * instance. Absent (embedded mode): each process counts in memory.
   */
  redis?: Redis | null;
  /** Prefix of the Redis keys (REDIS_PREFIX). */
  prefix: string;
  logger: Logger;
}

/**
 * Rate limits of the auth mutations (rate-limiter-flexible), per client IP and per account, in
 * fixed one-minute windows. A spent limit answers RATE_LIMITED with `retryAfter` seconds.
 *
 * Redis being down never fails a mutation: each Redis limiter has an in-memory insurance
 * limiter with the same limits, which counts per instance until Redis is back; any other error of
 * the limiter lets the request through (fail open) with a warning, since the failed-login
 * throttle still guards passwords.
 */
export class AuthRateLimits {
  readonly kind: 'redis' | 'memory';
  private readonly perIp: RateLimiterAbstract;
  private readonly perAccount: RateLimiterAbstract;
  private readonly logger: Logger;

  constructor(options: AuthRateLimitOptions) {
    this.logger = options.logger;
    this.kind = options.redis ? 'redis' : 'memory';
    const limiter = (name: string, points: number): RateLimiterAbstract => {
      const keyPrefix = `${options.prefix}rate-limit:${name}`;
      const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix });
      if (!options.redis) return memory;
      return new RateLimiterRedis({
        storeClient: options.redis,
        points,
        duration: 60,
        keyPrefix,
        // Straight to the insurance limiter while the connection is down, instead of a timeout.
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      });
    };
    this.perIp = limiter('auth-ip', options.perIpPerMinute);
    this.perAccount = limiter('auth-account', options.perAccountPerMinute);
  }

  /** Charges one auth mutation to the client IP. */
  chargeIp(operation: AuthOperation, ip: string | null): Promise<void> {
    return this.charge(this.perIp, ip ?? 'unknown', operation);
  }

  /**
   * Charges one `operation` to the account (a normalised email). Each operation has its own
   * count, so a flood of logins naming an account does not stop its owner's token refreshes.
   */
  chargeAccount(operation: AuthOperation, account: string): Promise<void> {
    // Hashed: the Redis keys need not carry email addresses.
    const key = `${operation}:${createHash('sha256').update(account).digest('base64url')}`;
    return this.charge(this.perAccount, key, operation);
  }

  private async charge(limiter: RateLimiterAbstract, key: string, operation: AuthOperation): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      }
      this.logger.warn({ err: rejection, operation }, 'rate limiter failed; letting the request through');
    }
  }
}
