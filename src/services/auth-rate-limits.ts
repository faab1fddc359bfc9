import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors/domain-errors';
import type { Logger } from '../logger';
import { addressGroup } from '../auth/address-group';

/** The mutations that are rate limited. */
export type AuthOperation = 'register' | 'login' | 'refreshToken' | 'requestPasswordReset' | 'resetPassword' | 'verifyEmail';

export interface AuthRateLimitOptions {
  /** register + login + refreshToken together, per client IP per minute. */
  perIpPerMinute: number;
  /** Each of them per account per minute. */
  perAccountPerMinute: number;
  /** `register` answers CONFLICT this many times per client address per hour, then RATE_LIMITED. */
  registerConflictsPerHour: number;
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
  private readonly registerConflicts: RateLimiterAbstract;
  private readonly logger: Logger;

  constructor(options: AuthRateLimitOptions) {
    this.logger = options.logger;
    this.kind = options.redis ? 'redis' : 'memory';
    this.perIp = createLimiter(options, 'auth-ip', options.perIpPerMinute, 60);
    this.perAccount = createLimiter(options, 'auth-account', options.perAccountPerMinute, 60);
    this.registerConflicts = createLimiter(options, 'register-conflicts', options.registerConflictsPerHour, 3600);
  }

  /**
   * RATE_LIMITED when this client address was told "this address has an account" (CONFLICT) too
   * often this hour: from then on every `register` of it is refused, new address or not, so the
   * refusal itself tells nothing about accounts.
   */
  async checkRegisterConflicts(ip: string | null): Promise<void> {
    try {
      const spent = await this.registerConflicts.get(addressGroup(ip ?? 'unknown'));
      if (spent && spent.remainingPoints <= 0) throw new RateLimitedError(Math.max(1, Math.ceil(spent.msBeforeNext / 1000)));
    } catch (error) {
      if (error instanceof RateLimitedError) throw error;
      this.logger.warn({ err: error, operation: 'register' }, 'rate limiter failed; letting the request through');
    }
  }

  /** Counts one CONFLICT answered to `register` from this client address. */
  async countRegisterConflict(ip: string | null): Promise<void> {
    await this.registerConflicts.penalty(addressGroup(ip ?? 'unknown'), 1).catch((error: unknown) => {
      this.logger.warn({ err: error, operation: 'register' }, 'rate limiter failed; the conflict was not counted');
    });
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
    return this.charge(this.perAccount, accountKey(operation, account), operation);
  }

  /** Forgets what `account` spent on `operation` (a password reset proves the owner: their sign-in is not held back). */
  async forgetAccount(operation: AuthOperation, account: string): Promise<void> {
    await this.perAccount.delete(accountKey(operation, account)).catch((error: unknown) => {
      this.logger.warn({ err: error, operation }, 'could not reset a rate limit');
    });
  }

  private charge(limiter: RateLimiterAbstract, key: string, operation: AuthOperation): Promise<void> {
    return chargeLimiter(limiter, key, this.logger, { operation });
  }
}

/**
 * A limiter of `points` per `durationSeconds` under `<prefix>rate-limit:<name>`: in Redis when there
 * is a connection (shared by every instance), with an in-memory insurance limiter of the same limits
 * that counts per instance while Redis is down; in memory otherwise.
 */
export function createLimiter(
  options: Pick<AuthRateLimitOptions, 'redis' | 'prefix'>,
  name: string,
  points: number,
  durationSeconds: number,
): RateLimiterAbstract {
  const keyPrefix = `${options.prefix}rate-limit:${name}`;
  const memory = new RateLimiterMemory({ points, duration: durationSeconds, keyPrefix });
  if (!options.redis) return memory;
  return new RateLimiterRedis({
    storeClient: options.redis,
    points,
    duration: durationSeconds,
    keyPrefix,
    // Straight to the insurance limiter while the connection is down, instead of a timeout.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

/**
 * Charges one point to `key`: RATE_LIMITED with `retryAfter` seconds when spent. Any other failure
 * of the limiter lets the request through (fail open) with a warning.
 */
export async function chargeLimiter(
  limiter: RateLimiterAbstract,
  key: string,
  logger: Logger,
  logContext: Record<string, unknown>,
): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
    logger.warn({ err: rejection, ...logContext }, 'rate limiter failed; letting the request through');
  }
}

/** A key for a limiter that does not carry the address itself (Redis keys need not hold emails). */
export function accountKey(kind: string, account: string): string {
  return `${kind}:${createHash('sha256').update(account).digest('base64url')}`;
}
