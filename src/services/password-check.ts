import type { DataSource } from 'typeorm';
import type { PasswordHasher } from '../auth/password-hasher';
import type { User } from '../entities';
import { BadUserInputError, RateLimitedError } from '../errors/domain-errors';
import type { Transactions } from '../events/transactions';
import { readCounters } from './login-failure-counters';
import { counterKeys, decide, type ThrottleRules } from './login-throttle';
import { eventContextOf, type RequestContext } from './request-context';

/**
 * Checking a typed password, for sign-in and for the operations that ask for it again (change of
 * password or email, deleting the account). The failed-login counters are read before any password
 * is looked at; a wrong password is recorded as `auth.login.failed`, which the
 * `track-failed-logins` listener counts, so guesses through any of these doors add up.
 */
export class PasswordCheck {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    readonly hasher: PasswordHasher,
    private readonly rules: ThrottleRules,
  ) {}

  /**
   * Returns normally when the counters let a try on `email` from this client go ahead; otherwise
   * records the refused try (`auth.login.failed`, reason `locked`; plus `auth.login.attempt` for a
   * sign-in) and throws RATE_LIMITED with how long to wait.
   */
  async gate(ctx: RequestContext, email: string, userId: string | null, options: { signIn: boolean }): Promise<void> {
    const { counters, now } = await readCounters(this.dataSource, counterKeys(email, ctx.ip));
    const throttle = decide(counters, now, this.rules);
    if (throttle.allowed) return;
    await this.transactions.run({ actorId: userId, context: eventContextOf(ctx) }, async (tx) => {
      if (options.signIn) tx.record('auth.login.attempt', { userId, email });
      tx.record('auth.login.failed', { userId, email, reason: 'locked' });
    });
    throw new RateLimitedError(throttle.retryAfterSeconds);
  }

  /** Whether `typed` is the password of `user` (an unknown user costs the same time). */
  check(user: User | null, typed: string): Promise<{ valid: boolean; rehash: boolean }> {
    return user ? this.hasher.check(typed, user.passwordHash) : this.hasher.checkDecoy(typed);
  }

  /**
   * For an operation that asks a signed-in user for their password again: returns normally when it
   * is right; otherwise counts as a failed sign-in and throws BAD_USER_INPUT naming `field`.
   */
  async confirm(ctx: RequestContext, user: User, typed: string, field: string): Promise<void> {
    await this.gate(ctx, user.email, user.id, { signIn: false });
    if ((await this.check(user, typed)).valid) return;
    await this.transactions.run({ actorId: user.id, context: eventContextOf(ctx) }, async (tx) => {
      tx.record('auth.login.failed', { userId: user.id, email: user.email, reason: 'wrong_password' });
    });
    throw new BadUserInputError(field, 'This is not your current password.');
  }
}
