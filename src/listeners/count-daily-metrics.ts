import { defineListener } from '../events/listener';

const METRIC = {
  'user.registered': 'registrations',
  'user.login': 'logins',
  'auth.login.failed': 'login_failures',
} as const;

/** Analytics: registrations, logins and login failures per UTC day. */
export function countDailyMetrics() {
  return defineListener({
    name: 'count-daily-metrics',
    on: ['user.registered', 'user.login', 'auth.login.failed'],
    async handle(event, ctx) {
      await ctx.complete((tx) =>
        tx.manager.query(
          `INSERT INTO daily_counters (day, metric, count) VALUES (($1::timestamptz AT TIME ZONE 'UTC')::date, $2, 1)
           ON CONFLICT (day, metric) DO UPDATE SET count = daily_counters.count + 1`,
          [event.occurredAt, METRIC[event.name]],
        ),
      );
    },
  });
}
