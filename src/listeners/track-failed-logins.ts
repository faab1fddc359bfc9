import type { DataSource } from 'typeorm';
import { User } from '../entities';
import { lockLiveUser } from '../services/user-rows';
import { defineListener } from '../events/listener';
import {
  deleteCounter,
  lockCounters,
  pruneExpiredCounters,
  saveCounters,
} from '../services/login-failure-counters';
import { countFailure, counterKeys, lockIfDue, type Counters, type ThrottleRules } from '../services/login-throttle';

/**
 * Security monitoring. `auth.login.failed` → one more failure on the account + IP pair, the IP
 * and the account, counted in the transaction that completes the delivery, so each failure counts
 * exactly once; an account reaching the lock threshold is locked and `auth.account.locked` is
 * recorded (its email follows from `send-account-locked-email`). `user.login` → the pair of that
 * account and IP starts again from zero. `AuthService.login` reads the counters before it looks
 * at a password. Passwords never reach this listener: events do not carry them.
 */
export function trackFailedLogins(deps: { dataSource: DataSource; rules: ThrottleRules }) {
  const { rules } = deps;
  return defineListener({
    name: 'track-failed-logins',
    on: ['auth.login.failed', 'user.login'],
    async handle(event, ctx) {
      if (event.name === 'user.login') {
        const ip = event.context.ip;
        if (!ip) return;
        await ctx.complete(async (tx) => {
          const user = await tx.manager.findOneBy(User, { id: event.payload.userId });
          if (user) await deleteCounter(tx.manager, 'pair', counterKeys(user.email, ip).pair!);
        });
        return;
      }
      // A try refused while throttled is not a failure: counting it would let a throttled
      // guesser lengthen its own wait, and lock accounts with tries that never reached a password.
      if (event.payload.reason === 'locked') return;

      // Housekeeping, outside the counting transaction: expired counters go, a few at a time.
      await pruneExpiredCounters(deps.dataSource, rules.windowSeconds);

      const at = new Date(event.occurredAt);
      const keys = counterKeys(event.payload.email, event.context.ip);
      await ctx.complete(async (tx) => {
        // An account erased since (its address is gone from everywhere) is not counted under it again.
        if (event.payload.userId && !(await lockLiveUser(tx.manager, event.payload.userId))) return;
        const current = await lockCounters(tx.manager, keys);
        const next: Counters = {};
        for (const scope of ['pair', 'ip', 'account'] as const) {
          if (keys[scope] !== undefined) next[scope] = countFailure(current[scope], at, rules);
        }
        const failures = next.account!.failures;
        const lock = lockIfDue(next.account!, at, rules);
        next.account = lock.counter;
        await saveCounters(tx.manager, keys, next);

        const { userId } = event.payload;
        if (lock.locked) {
          ctx.logger.warn({ userId, failures, lockedUntil: lock.counter.lockedUntil }, 'account locked after failed logins');
        }
        // An unknown email is locked too (so locking does not reveal which accounts exist), but
        // there is nobody to tell.
        if (lock.locked && userId) {
          tx.record(
            'auth.account.locked',
            { userId, failures, lockedUntil: lock.counter.lockedUntil!.toISOString() },
            { actorId: null },
          );
        }
      });
    },
  });
}
