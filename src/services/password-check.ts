import type { DataSource, EntityManager } from 'typeorm';
import type { HashPool } from '../auth/hash-pool';
import { defaultHashPool, type PasswordHasher } from '../auth/password-hasher';
import type { User } from '../entities';
import { BadUserInputError, RateLimitedError } from '../errors/domain-errors';
import type { Transactions } from '../events/transactions';
import { releaseFailure, reserveFailure } from './login-failure-counters';
import { counterKeys, type CounterScope, type ThrottleRules } from './login-throttle';
import { eventContextOf, type RequestContext } from './request-context';

/** A try admitted by `PasswordCheck.reserve`: its failure is counted until `release` gives it back. */
export interface AdmittedTry {
  readonly keys: Partial<Record<CounterScope, string>>;
}

/**
 * Checking a typed password, for sign-in and for the operations that ask for it again (change of
 * password or email, deleting the account). Each try is counted as a failure on the failed-login
 * counters *before* any password is looked at, atomically, and given back when the password was
 * right; so tries sent at once cannot all get through, and guesses through any of these doors add up.
 */
export class PasswordCheck {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    readonly hasher: PasswordHasher,
    private readonly rules: ThrottleRules,
    private readonly pool: HashPool = defaultHashPool(),
  ) {}

  /**
   * Admits a try on `email` from this client (from the known device `deviceId`, if any) and counts
   * it as a failure; a try that locks the account records `auth.account.locked`. When the counters
   * throttle it, records the refused try (`auth.login.failed`, reason `locked`; plus
   * `auth.login.attempt` for a sign-in) and throws RATE_LIMITED with how long to wait.
   */
  async reserve(
    ctx: RequestContext,
    email: string,
    userId: string | null,
    options: { signIn: boolean; deviceId?: string | null },
  ): Promise<AdmittedTry> {
    const keys = counterKeys(email, ctx.ip, options.deviceId ?? null);
    const reservation = await this.transactions.run({ actorId: userId, context: eventContextOf(ctx) }, async (tx) => {
      const outcome = await reserveFailure(tx.manager, keys, this.rules, { trustedDevice: Boolean(options.deviceId) });
      if (!outcome.allowed) {
        if (options.signIn) tx.record('auth.login.attempt', { userId, email });
        tx.record('auth.login.failed', { userId, email, reason: 'locked' });
      } else if (outcome.lockedUntil && userId) {
        // An unknown email is locked too (so locking does not reveal which accounts exist), but
        // there is nobody to tell.
        tx.record(
          'auth.account.locked',
          { userId, failures: outcome.failures, lockedUntil: outcome.lockedUntil.toISOString() },
          { actorId: null },
        );
      }
      return outcome;
    });
    if (!reservation.allowed) throw new RateLimitedError(reservation.retryAfterSeconds);
    return { keys };
  }

  /** The password was right: gives back the failure `reserve` counted (in the caller's transaction). */
  release(manager: EntityManager, admitted: AdmittedTry): Promise<void> {
    return releaseFailure(manager, admitted.keys);
  }

  /**
   * Runs `work` (a sign-in, a password to hash) in this client address's turn of the hash pool
   * (src/auth/hash-pool.ts): the whole of it, its database work included, so a flooding address
   * holds neither more hashing nor more pooled connections than its share.
   */
  inTurn<T>(ctx: RequestContext, work: () => Promise<T>): Promise<T> {
    return this.pool.run(ctx.ip, work);
  }

  /** Whether `typed` is the password of `user` (an unknown user costs the same time). Call it in a turn (`inTurn`). */
  check(user: User | null, typed: string): Promise<{ valid: boolean; rehash: boolean }> {
    return user ? this.hasher.check(typed, user.passwordHash) : this.hasher.checkDecoy(typed);
  }

  /**
   * For an operation that asks a signed-in user for their password again: returns normally when it
   * is right; otherwise counts as a failed sign-in and throws BAD_USER_INPUT naming `field`.
   */
  async confirm(ctx: RequestContext, user: User, typed: string, field: string): Promise<void> {
    const valid = await this.inTurn(ctx, async () => {
      const admitted = await this.reserve(ctx, user.email, user.id, { signIn: false });
      const { valid } = await this.check(user, typed);
      if (valid) await this.release(this.dataSource.manager, admitted);
      return valid;
    });
    if (valid) return;
    await this.transactions.run({ actorId: user.id, context: eventContextOf(ctx) }, async (tx) => {
      tx.record('auth.login.failed', { userId: user.id, email: user.email, reason: 'wrong_password' });
    });
    throw new BadUserInputError(field, 'This is not your current password.');
  }
}
