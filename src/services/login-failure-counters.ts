import type { DataSource, EntityManager } from 'typeorm';
import {
  countFailure,
  decide,
  lockIfDue,
  type CounterScope,
  type Counters,
  type FailureCounter,
  type ThrottleDecision,
  type ThrottleRules,
} from './login-throttle';
import { changedRows } from '../db/changed-rows';

/**
 * The queries on `login_failure_counters`. A try reserves its failure before its password is
 * checked (`reserveFailure`, under row locks, so tries sent at once are counted one at a time) and
 * gives it back when the password was right (`releaseFailure`). Times come from the database's
 * clock, like the events' `occurredAt`, so the check and the counters never disagree about "now".
 */

type Keys = Partial<Record<CounterScope, string>>;

/** Scopes in the one order every writer locks them in, so concurrent writers cannot deadlock. */
const LOCK_ORDER: readonly CounterScope[] = ['device', 'pair', 'ip', 'account'];

interface CounterRow {
  scope: CounterScope;
  failures: number | null;
  last_failure_at: Date | null;
  locked_until: Date | null;
}

/** The counters of these keys and the database's current time, in one query (the login check). */
export async function readCounters(
  queryable: DataSource | EntityManager,
  keys: Keys,
): Promise<{ counters: Counters; now: Date }> {
  const [scopes, values] = columns(keys);
  const rows: (CounterRow & { now: Date })[] = await queryable.query(
    `SELECT k.scope, c.failures, c.last_failure_at, c.locked_until, clock_timestamp() AS now
     FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, key)
     LEFT JOIN login_failure_counters c ON c.scope = k.scope AND c.key = k.key`,
    [scopes, values],
  );
  return { counters: countersOf(rows), now: new Date(rows[0].now) };
}

/**
 * Creates the counters that do not exist yet and row-locks all of them until the transaction
 * ends, returning their current values: concurrent failures of one key are counted one at a time.
 */
export async function lockCounters(manager: EntityManager, keys: Keys): Promise<{ counters: Counters; now: Date }> {
  const [scopes, values] = columns(keys);
  const rows: (CounterRow & { now: Date })[] = await manager.query(
    `INSERT INTO login_failure_counters (scope, key, failures)
     SELECT scope, key, 0 FROM unnest($1::varchar[], $2::varchar[]) WITH ORDINALITY AS k(scope, key, position)
     ORDER BY position
     ON CONFLICT (scope, key) DO UPDATE SET failures = login_failure_counters.failures
     RETURNING scope, failures, last_failure_at, locked_until, clock_timestamp() AS now`,
    [scopes, values],
  );
  return { counters: countersOf(rows), now: new Date(rows[0].now) };
}

/** What a reservation found: refused (throttled), or counted, and whether it locked the account. */
export type Reservation =
  | Extract<ThrottleDecision, { allowed: false }>
  | { allowed: true; failures: number; lockedUntil: Date | null };

/**
 * In the caller's transaction: decides whether a try on these counters may go ahead and, if so,
 * counts it as a failure on each of them at once (given back by `releaseFailure` when the password
 * was right). The account counter reaching the lock threshold locks it here (`lockedUntil`).
 */
export async function reserveFailure(
  manager: EntityManager,
  keys: Keys,
  rules: ThrottleRules,
  options: { trustedDevice: boolean },
): Promise<Reservation> {
  const { counters, now } = await lockCounters(manager, keys);
  const decision = decide(counters, now, rules, options);
  if (!decision.allowed) return decision;
  const next: Counters = {};
  for (const scope of LOCK_ORDER) {
    if (keys[scope] !== undefined) next[scope] = countFailure(counters[scope], now, rules);
  }
  const failures = next.account!.failures;
  const lock = lockIfDue(next.account!, now, rules);
  next.account = lock.counter;
  await saveCounters(manager, keys, next);
  return { allowed: true, failures, lockedUntil: lock.locked ? lock.counter.lockedUntil : null };
}

/**
 * The password was right: the reserved failure is given back. The device's or pair's counter is
 * forgotten (a success from there starts it again), the IP's and account's go down by one.
 */
export async function releaseFailure(manager: EntityManager, keys: Keys): Promise<void> {
  const [scopes, values] = columns(keys);
  await manager.query(
    `DELETE FROM login_failure_counters c USING unnest($1::varchar[], $2::varchar[]) AS k(scope, key)
     WHERE c.scope = k.scope AND c.key = k.key AND k.scope IN ('device', 'pair')`,
    [scopes, values],
  );
  await manager.query(
    `UPDATE login_failure_counters c SET failures = greatest(c.failures - 1, 0)
     FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, key)
     WHERE c.scope = k.scope AND c.key = k.key AND k.scope IN ('ip', 'account')`,
    [scopes, values],
  );
  // A counter back at zero with no lock in force is as good as none.
  await manager.query(
    `DELETE FROM login_failure_counters c USING unnest($1::varchar[], $2::varchar[]) AS k(scope, key)
     WHERE c.scope = k.scope AND c.key = k.key AND c.failures = 0 AND (c.locked_until IS NULL OR c.locked_until <= now())`,
    [scopes, values],
  );
}

/** Writes counters locked by `lockCounters` in the same transaction. */
export async function saveCounters(manager: EntityManager, keys: Keys, counters: Counters): Promise<void> {
  const [scopes, values] = columns(keys);
  const saved = scopes.map((scope) => counters[scope]!);
  await manager.query(
    `UPDATE login_failure_counters c
     SET failures = v.failures, last_failure_at = v.last_failure_at, locked_until = v.locked_until
     FROM unnest($1::varchar[], $2::varchar[], $3::int[], $4::timestamptz[], $5::timestamptz[])
       AS v(scope, key, failures, last_failure_at, locked_until)
     WHERE c.scope = v.scope AND c.key = v.key`,
    [scopes, values, saved.map((c) => c.failures), saved.map((c) => c.lastFailureAt), saved.map((c) => c.lockedUntil)],
  );
}

/**
 * Deletes up to `limit` counters whose window has passed and whose lock (if any) has ended.
 * Rows another transaction holds are skipped, so this never waits for, or deadlocks with, a writer.
 */
export async function pruneExpiredCounters(dataSource: DataSource, windowSeconds: number, limit = 500): Promise<void> {
  await dataSource.query(
    `DELETE FROM login_failure_counters WHERE (scope, key) IN (
       SELECT scope, key FROM login_failure_counters
       WHERE (last_failure_at IS NULL OR last_failure_at < now() - $1 * interval '1 second')
         AND (locked_until IS NULL OR locked_until < now())
       LIMIT $2
       FOR UPDATE SKIP LOCKED)`,
    [windowSeconds, limit],
  );
}

function columns(keys: Keys): [CounterScope[], string[]] {
  const scopes = LOCK_ORDER.filter((scope) => keys[scope] !== undefined);
  return [scopes, scopes.map((scope) => keys[scope]!)];
}

function countersOf(rows: CounterRow[]): Counters {
  const counters: Counters = {};
  for (const row of rows) {
    if (row.failures === null) continue; // no such counter
    const counter: FailureCounter = {
      failures: row.failures,
      lastFailureAt: row.last_failure_at && new Date(row.last_failure_at),
      lockedUntil: row.locked_until && new Date(row.locked_until),
    };
    counters[row.scope] = counter;
  }
  return counters;
}

/**
 * Lifts the lock and forgets the failures of an account, from every address (a password reset
 * proves the owner; a platform admin's support tool). Returns whether there was a lock in force.
 */
export async function clearAccountLock(manager: EntityManager, email: string): Promise<boolean> {
  const cleared: { locked: boolean }[] = await changedRows(manager, 
    `DELETE FROM login_failure_counters
     WHERE (scope = 'account' AND key = $1) OR (scope = 'pair' AND left(key, length($1) + 1) = $1 || '|')
     RETURNING coalesce(locked_until > now(), false) AS locked`,
    [email],
  );
  return cleared.some((row) => row.locked);
}
