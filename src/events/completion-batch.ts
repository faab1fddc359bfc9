import { once } from 'node:events';
import type { Client } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { bigintArray, intArray, pgClientOf, runTogether, textArray } from '../db/pg-client';
import type { Logger } from '../logger';
import type { EventEnvelope, NewEvent } from './envelope';
import type { EventStore } from './event-store';
import { LeaseLostError } from './lease-lost-error';
import { recordingTx, type EventOrigin, type Tx } from './transactions';

/** The delivery a completion completes, and the claim on it the run must still hold. */
export interface DeliveryGuard {
  id: string;
  lockedBy: string;
  attempts: number;
}

/** One `ctx.complete` call, waiting for its batch or in it. */
export interface PendingCompletion {
  readonly guard: DeliveryGuard;
  /** Who the events recorded in `work` are attributed to (the handled event's actor, tenant, request). */
  readonly origin: EventOrigin;
  /** The run's signal: aborted when its time is up, its lease is lost or the instance stops. */
  readonly signal: AbortSignal;
  readonly work: (tx: Tx) => Promise<unknown>;
  /** Called once, after the transaction that decided it ended. */
  readonly settle: (outcome: Outcome) => void;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface CompletionBatchDeps {
  dataSource: DataSource;
  store: EventStore;
  /** Hands committed events on (the publisher), as `Transactions` does. */
  onCommit: (events: EventEnvelope[]) => void;
  /**
   * Whether an abandoned transaction's backend is terminated (`pg_terminate_backend`) so that its
   * locks go at once even when it is stuck in a statement; false for embedded Postgres, one session.
   */
  terminateAbandoned: boolean;
  logger: Logger;
}

/** Thrown inside a transaction when the run whose work is executing was aborted (timed out, stopping). */
class Abandoned extends Error {
  constructor(readonly item: PendingCompletion) {
    super(`a completion overran its run's time (delivery ${item.guard.id})`);
  }
}

type Attempt =
  | { ok: true; values: unknown[]; committed: EventEnvelope[] }
  | { ok: false; error: unknown; abandoned: PendingCompletion | null };

/**
 * Completes `items` in ONE transaction when every work succeeds, and settles each after it ended:
 *
 * 1. BEGIN, then lock the delivery rows that are still claimed as each run claimed them (a row
 *    another instance took over is not there: its completion fails with LeaseLostError and its
 *    work never runs; a locked row cannot be taken over until the commit);
 * 2. run the works one after another on the transaction's connection, with no savepoint;
 * 3. append the events they recorded (each with its own origin), then mark the deliveries done
 *    and COMMIT in one round trip.
 *
 * A work that throws aborts the transaction; it is rolled back and then every completion runs
 * alone, in a transaction of its own, so the failing one fails by itself and the others complete
 * (the happy path pays no savepoint per work; a failure pays a second run of its batch). A work
 * whose run is aborted while it executes ends the transaction at once (its backend is
 * terminated, in case it is stuck in a statement); that completion fails with its run's reason and
 * the others run alone too. A failure that is nobody's in particular (the database went away)
 * fails each completion in its own run.
 */
export async function runCompletionBatch(deps: CompletionBatchDeps, items: readonly PendingCompletion[]): Promise<void> {
  const ready = items.filter((item) => {
    if (item.signal.aborted) item.settle({ ok: false, error: item.signal.reason });
    return !item.signal.aborted;
  });
  if (ready.length === 0) return;
  const together = await inOneTransaction(deps, ready);
  if (together.ok) {
    if (together.committed.length > 0) deps.onCommit(together.committed);
    ready.forEach((item, i) => item.settle({ ok: true, value: together.values[i] }));
    return;
  }
  if (ready.length === 1) {
    ready[0].settle({ ok: false, error: failureOf(ready[0], together) });
    return;
  }
  for (const item of ready) {
    if (item === together.abandoned || item.signal.aborted) {
      item.settle({ ok: false, error: item.signal.reason });
      continue;
    }
    const alone = await inOneTransaction(deps, [item]);
    if (alone.ok && alone.committed.length > 0) deps.onCommit(alone.committed);
    item.settle(alone.ok ? { ok: true, value: alone.values[0] } : { ok: false, error: failureOf(item, alone) });
  }
}

async function inOneTransaction(deps: CompletionBatchDeps, items: readonly PendingCompletion[]): Promise<Attempt> {
  const runner = deps.dataSource.createQueryRunner();
  let client: Client | null = null;
  let pid: number | null = null;
  try {
    client = await pgClientOf(runner);
    // TypeORM's own BEGIN, so that it knows a transaction is open (its save() and nested
    // transaction() rely on that): a round trip per batch, not per completion.
    await runner.startTransaction();
    const held = await lockClaimedDeliveries(runner, items);
    const lost = items.find((item) => !held.rows.has(item.guard.id));
    if (lost) throw new LeaseLostError(lost.guard.id);
    pid = held.pid;
    const values: unknown[] = [];
    const recorded: NewEvent[] = [];
    for (const item of items) {
      const events: NewEvent[] = [];
      values.push(await untilAborted(item.work(recordingTx(runner.manager, item.origin, events)), item));
      recorded.push(...events);
    }
    const committed = await deps.store.append(runner.manager, recorded);
    // The rows are locked by this transaction since the lock above: nobody else can have changed them.
    await runTogether(client, [markDoneSql(items), 'COMMIT']);
    return { ok: true, values, committed };
  } catch (error) {
    if (error instanceof Abandoned) await abandon(deps, runner, client, pid);
    else if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    return { ok: false, error, abandoned: error instanceof Abandoned ? error.item : null };
  } finally {
    if (!runner.isReleased) await runner.release();
  }
}

/**
 * The ids of the deliveries still running under the claim each run holds, now locked, and this
 * backend's pid. It also makes this transaction's backend check every 2 s, while a statement runs,
 * that its client is still there (PostgreSQL 14+; `client_connection_check_interval`): if the
 * instance dies while a work is stuck in a statement (a lock wait, slow DDL), the backend ends
 * within seconds and its locks on the delivery rows go, so another instance can take them over
 * when their lease ends instead of when the statement does.
 */
async function lockClaimedDeliveries(runner: QueryRunner, items: readonly PendingCompletion[]) {
  const rows: { id: string; pid: number }[] = await runner.query(
    `WITH watch AS MATERIALIZED (
       SELECT (SELECT set_config(name, '2000', true) FROM pg_settings WHERE name = 'client_connection_check_interval')
     )
     SELECT d.id::text AS id, pg_backend_pid() AS pid
     FROM watch, deliveries d
     JOIN unnest($1::bigint[], $2::varchar[], $3::int[]) AS g(id, locked_by, attempts)
       ON d.id = g.id AND d.locked_by = g.locked_by AND d.attempts = g.attempts
     WHERE d.status = 'running'
     ORDER BY d.id
     FOR UPDATE OF d`,
    [items.map((i) => i.guard.id), items.map((i) => i.guard.lockedBy), items.map((i) => i.guard.attempts)],
  );
  return { rows: new Set(rows.map((r) => r.id)), pid: rows[0]?.pid ?? null };
}

/** The UPDATE that marks `items`' deliveries done, with its values written in (it shares a round trip with COMMIT). */
function markDoneSql(items: readonly PendingCompletion[]): string {
  return `UPDATE deliveries d
    SET status = 'done', locked_by = NULL, completed_at = now(), updated_at = now(), last_error = NULL
    FROM unnest(${bigintArray(items.map((i) => i.guard.id))}, ${textArray(items.map((i) => i.guard.lockedBy))},
                ${intArray(items.map((i) => i.guard.attempts))}) AS g(id, locked_by, attempts)
    WHERE d.id = g.id AND d.locked_by = g.locked_by AND d.attempts = g.attempts AND d.status = 'running'`;
}

/** `work`, or Abandoned as soon as the item's run is aborted. */
function untilAborted<T>(work: Promise<T>, item: PendingCompletion): Promise<T> {
  const { signal } = item;
  work.catch(() => undefined); // if abandoned, its later failure is nobody's to handle
  if (signal.aborted) return Promise.reject(new Abandoned(item));
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Abandoned(item));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/**
 * Ends an abandoned transaction. Its connection may be stuck in the abandoned work's statement, so
 * a ROLLBACK would queue behind it: terminating the backend rolls it back and frees its locks at
 * once; the client, whose server went away, is then dropped by the pool when it is released.
 */
async function abandon(deps: CompletionBatchDeps, runner: QueryRunner, client: Client | null, pid: number | null) {
  if (!client) return;
  const ended = once(client, 'end').catch(() => undefined);
  if (deps.terminateAbandoned && pid) {
    await deps.dataSource
      .query('SELECT pg_terminate_backend($1)', [pid])
      .catch((err) => deps.logger.warn({ err }, 'could not end the connection of an abandoned completion'));
  } else {
    await client.end().catch(() => undefined);
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
  clearTimeout(timer);
  await runner.release();
}

/** What a completion that did not commit is rejected with. */
function failureOf(item: PendingCompletion, attempt: Attempt & { ok: false }): unknown {
  if (attempt.abandoned === item || item.signal.aborted) return item.signal.reason;
  return attempt.error;
}
