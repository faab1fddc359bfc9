import type { DataSource } from 'typeorm';
import { defineListener } from '../events/listener';
import { pruneExpiredCounters } from '../services/login-failure-counters';
import type { ThrottleRules } from '../services/login-throttle';

/**
 * auth.login.failed → housekeeping of the failed-login counters: expired ones go, a few at a time.
 * The counting itself happens before each password is checked (a reservation in
 * `PasswordCheck.reserve`), not here: counted afterwards, tries sent at once all got through.
 */
export function trackFailedLogins(deps: { dataSource: DataSource; rules: ThrottleRules }) {
  return defineListener({
    // The name of the listener that counted failures before issue 13: kept, as delivery rows are keyed by it.
    name: 'track-failed-logins',
    on: ['auth.login.failed'],
    async handle(_event, ctx) {
      await pruneExpiredCounters(deps.dataSource, deps.rules.windowSeconds);
      await ctx.complete(async () => {});
    },
  });
}
