import type { DataSource, EntityManager } from 'typeorm';
import type { CounterScope, Counters, FailureCounter } from './login-throttle';
import { changedRows } from '../db/changed-rows';

/**
 * The queries on `login_failure_counters`. The login check reads; only the `track-failed-logins`
 * listener writes, inside its `ctx.complete` transaction. Times come from the database's clock,
 * like the events' `occurredAt`, so the check and the counters never disagree about "now".
 */

type Keys = Partial<Record<CounterScope, string>>;

/** Scopes in the one order every writer locks them in, so concurrent writers cannot deadlock. */
const LOCK_ORDER: readonly CounterScope[] = ['pair', 'ip', 'account'];

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
export async function lockCounters(manager: EntityManager, keys: Keys): Promise<Counters> {
  const [scopes, values] = columns(keys);
  const rows: CounterRow[] = await manager.query(
    `INSERT INTO login_failure_counters (scope, key, failures)
     SELECT scope, key, 0 FROM unnest($1::varchar[], $2::varchar[]) WITH ORDINALITY AS k(scope, key, position)
     ORDER BY position
     ON CONFLICT (scope, key) DO UPDATE SET failures = login_failure_counters.failures
     RETURNING scope, failures, last_failure_at, locked_until`,
    [scopes, values],
  );
  return countersOf(rows);
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

/** Forgets one counter (a successful login clears its account + IP pair). */
export async function deleteCounter(manager: EntityManager, scope: CounterScope, key: string): Promise<void> {
  await manager.query(`DELETE FROM login_failure_counters WHERE scope = $1 AND key = $2`, [scope, key]);
}

/**
 * Deletes up to `limit` counters whose window has passed and whose lock (if any) has ended.
 * Rows another transaction holds are skipped, so this never waits for, or deadlocks with, a writer.
 */
export async function pruneExpiredCounters(dataSource: DataSource, windowSeconds: number, limit = 500): Promise<void> {
  await dataSource.query(
    `DELETE FROM login_failure_counters WHERE (scope, key) IN (
       SELECT scope, key FROM login_failure_counters
       WHERE last_failure_at < now() - $1 * interval '1 second'
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
