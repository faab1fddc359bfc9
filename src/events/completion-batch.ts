import type { DataSource, QueryRunner } from 'typeorm';
import { backendPidOf, discardConnection } from '../db/pg-connection';
import type { Logger } from '../logger';
import { BatchAbandonedError } from './batch-abandoned-error';
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
  /** The run's signal: aborted when its time is up or the instance stops. */
  readonly signal: AbortSignal;
  readonly work: (tx: Tx) => Promise<unknown>;
  /** Called once, after the batch's transaction ended. */
  readonly settle: (outcome: Outcome) => void;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface CompletionBatchDeps {
  dataSource: DataSource;
  store: EventStore;
  /** Hands committed events on (the publisher), as `Transactions` does. */
  onCommit: (events: EventEnvelope[]) => void;
  /**
   * Whether an abandoned batch's backend is terminated (`pg_terminate_backend`) so that its locks
   * go at once even when it is stuck in a statement; false for embedded Postgres, one session.
   */
  terminateAbandoned: boolean;
  logger: Logger;
}

/** Thrown inside a batch when the run whose work is executing was aborted (timed out, stopping). */
class Abandoned extends Error {
  constructor(readonly item: PendingCompletion) {
    super(`a completion in the batch overran its run's time (delivery ${item.guard.id})`);
  }
}

/**
 * Runs completions in ONE transaction and settles each after it ended:
 *
 * 1. locks the batch's delivery rows that are still claimed as each run claimed them (a row
 *    another instance took over is not there: its completion fails with LeaseLostError and its
 *    work never runs; a locked row cannot be taken over until the commit);
 * 2. runs each work after a SAVEPOINT, one after another (one connection); a work that throws
 *    is rolled back to its savepoint and fails alone;
 * 3. marks the delivery rows of the works that succeeded done, appends their recorded events in
 *    one `EventStore.append` (each with its own origin), and commits.
 *
 * If the run whose work is executing is aborted, the batch is abandoned: its transaction is
 * rolled back (its backend terminated, in case it is stuck in a statement) and every completion
 * in it fails, so no completion waits on another's work beyond its own run's time. A failure
 * that is nobody's in particular (the database went away) fails them all; nothing committed.
 */
export async function runCompletionBatch(deps: CompletionBatchDeps, items: readonly PendingCompletion[]): Promise<void> {
  const runner = deps.dataSource.createQueryRunner();
  const outcomes = new Map<PendingCompletion, Outcome>();
  const recorded = new Map<PendingCompletion, NewEvent[]>();
  let committed: EventEnvelope[] = [];
  try {
    await runner.connect();
    await runner.startTransaction();
    const held = await lockClaimedDeliveries(runner, items);
    for (const [i, item] of items.entries()) {
      if (!held.has(item.guard.id)) {
        outcomes.set(item, { ok: false, error: new LeaseLostError(item.guard.id) });
      } else if (item.signal.aborted) {
        outcomes.set(item, { ok: false, error: item.signal.reason });
      } else {
        await runner.query(`SAVEPOINT completion_${i}`);
        const events: NewEvent[] = [];
        try {
          const value = await untilAborted(item.work(recordingTx(runner.manager, item.origin, events)), item);
          outcomes.set(item, { ok: true, value });
          recorded.set(item, events);
        } catch (error) {
          if (error instanceof Abandoned) throw error;
          await runner.query(`ROLLBACK TO SAVEPOINT completion_${i}`);
          outcomes.set(item, { ok: false, error });
        }
      }
    }
    const done = items.filter((item) => outcomes.get(item)?.ok);
    await markDone(runner, done);
    committed = await deps.store.append(runner.manager, done.flatMap((item) => recorded.get(item)!));
    await runner.commitTransaction();
  } catch (error) {
    await endFailedBatch(deps, runner, error);
    for (const item of items) item.settle({ ok: false, error: failureOf(item, error) });
    return;
  } finally {
    if (!runner.isReleased) await runner.release();
  }
  if (committed.length > 0) deps.onCommit(committed);
  for (const item of items) item.settle(outcomes.get(item)!);
}

/** The ids of the batch's delivery rows still running under the claim each run holds, now locked. */
async function lockClaimedDeliveries(runner: QueryRunner, items: readonly PendingCompletion[]): Promise<Set<string>> {
  const rows: { id: string }[] = await runner.query(
    `SELECT d.id::text AS id
     FROM deliveries d
     JOIN unnest($1::bigint[], $2::varchar[], $3::int[]) AS g(id, locked_by, attempts)
       ON d.id = g.id AND d.locked_by = g.locked_by AND d.attempts = g.attempts
     WHERE d.status = 'running'
     ORDER BY d.id
     FOR UPDATE OF d`,
    guardColumns(items),
  );
  return new Set(rows.map((r) => r.id));
}

async function markDone(runner: QueryRunner, items: readonly PendingCompletion[]): Promise<void> {
  if (items.length === 0) return;
  // (A bare UPDATE … RETURNING answers [rows, count] through TypeORM; the CTE answers rows.)
  const rows: unknown[] = await runner.query(
    `WITH done AS (
       UPDATE deliveries d
       SET status = 'done', locked_by = NULL, completed_at = now(), updated_at = now(), last_error = NULL
       FROM unnest($1::bigint[], $2::varchar[], $3::int[]) AS g(id, locked_by, attempts)
       WHERE d.id = g.id AND d.locked_by = g.locked_by AND d.attempts = g.attempts AND d.status = 'running'
       RETURNING d.id
     ) SELECT id FROM done`,
    guardColumns(items),
  );
  // The rows were locked by this transaction since step 1: nobody else can have changed them.
  if (rows.length !== items.length) throw new Error(`marked ${rows.length} of ${items.length} deliveries done`);
}

function guardColumns(items: readonly PendingCompletion[]): [string[], string[], number[]] {
  return [items.map((i) => i.guard.id), items.map((i) => i.guard.lockedBy), items.map((i) => i.guard.attempts)];
}


/** `work`, or Abandoned as soon as the item's run is aborted. */
function untilAborted<T>(work: Promise<T>, item: PendingCompletion): Promise<T> {
  const { signal } = item;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new Abandoned(item));
  }
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Abandoned(item));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  work.catch(() => undefined); // if abandoned, its later failure is nobody's to handle
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

async function endFailedBatch(deps: CompletionBatchDeps, runner: QueryRunner, error: unknown): Promise<void> {
  if (!(error instanceof Abandoned)) {
    await runner.rollbackTransaction().catch(() => undefined);
    return;
  }
  // The connection may be stuck in the abandoned work's statement: a ROLLBACK would queue behind
  // it. Ending the backend rolls the transaction back and frees its locks at once.
  const pid = backendPidOf(runner);
  if (deps.terminateAbandoned && pid) {
    await deps.dataSource
      .query('SELECT pg_terminate_backend($1)', [pid])
      .catch((err) => deps.logger.warn({ err }, 'could not end the connection of an abandoned completion batch'));
  }
  // Releasing with an error makes the pool discard the connection rather than reuse it.
  await discardConnection(runner, error);
}

function failureOf(item: PendingCompletion, error: unknown): unknown {
  if (!(error instanceof Abandoned)) return error;
  if (item.signal.aborted) return item.signal.reason;
  return new BatchAbandonedError(error.message);
}
