import { runCompletionBatch, type CompletionBatchDeps, type DeliveryGuard, type PendingCompletion } from './completion-batch';
import type { EventOrigin, Tx } from './transactions';

/**
 * At most this many completions share a transaction. Each work that writes takes a subtransaction
 * (its savepoint); PostgreSQL caches 64 per backend, and past that every other session's snapshot
 * checks get slower (subtransaction overflow). It also bounds what one failure can take with it.
 */
const MAX_BATCH = 32;
/** Deliveries marked done in one statement, at most. */
const MAX_MARKS = 500;

/** What `ctx.complete` hands over: the delivery it completes, the run's origin and signal, the work. */
export interface CompletionRequest<T> {
  guard: DeliveryGuard;
  origin: EventOrigin;
  signal: AbortSignal;
  work: (tx: Tx) => Promise<T>;
}

/**
 * Completes deliveries in groups (group commit). `complete` calls that arrive while a batch is
 * committing, or in the same turn of the event loop, run together in the next batch: one
 * transaction, one savepoint per work (see runCompletionBatch). One batch runs at a time, so
 * works never wait on each other's locks across batches of this instance, and a batch's size is
 * what arrived while the previous one committed. `markDone` (handlers that never call `complete`)
 * coalesces the same way into one UPDATE.
 */
export class DeliveryCompletions {
  private queue: PendingCompletion[] = [];
  private flushing = false;
  private marks: { guard: DeliveryGuard; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private marking = false;

  constructor(private readonly deps: CompletionBatchDeps) {}

  /**
   * Runs `work` with the delivery's completion; resolves after the commit. Rejects with the work's
   * error, LeaseLostError, the run's abort reason, or BatchAbandonedError; then nothing of it committed.
   */
  complete<T>(request: CompletionRequest<T>): Promise<T> {
    const { signal } = request;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      // A run whose time is up while it waits for a batch leaves the queue at once.
      const onAbort = () => {
        const at = this.queue.indexOf(item);
        if (at < 0) return; // in a batch already: the batch handles it
        this.queue.splice(at, 1);
        reject(signal.reason);
      };
      const item: PendingCompletion = {
        ...request,
        settle: (outcome) => {
          signal.removeEventListener('abort', onAbort);
          if (outcome.ok) resolve(outcome.value as T);
          else reject(outcome.error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(item);
      if (this.flushing) return;
      this.flushing = true;
      // One turn of the event loop: the runs started by one claim call `complete` together.
      setImmediate(() => void this.flush());
    });
  }

  /** Marks a delivery done if the run still holds its claim (handlers that never called `complete`). */
  markDone(guard: DeliveryGuard): Promise<void> {
    return new Promise((resolve, reject) => {
      this.marks.push({ guard, resolve, reject });
      if (this.marking) return;
      this.marking = true;
      setImmediate(() => void this.flushMarks());
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await runCompletionBatch(this.deps, batch);
      } catch (error) {
        // runCompletionBatch settles every item itself; this is a last resort, settling twice is a no-op.
        for (const item of batch) item.settle({ ok: false, error });
      }
    }
    this.flushing = false;
  }

  private async flushMarks(): Promise<void> {
    while (this.marks.length > 0) {
      const batch = this.marks.splice(0, MAX_MARKS);
      try {
        await this.deps.dataSource.query(
          `UPDATE deliveries d
           SET status = 'done', locked_by = NULL, completed_at = now(), updated_at = now(), last_error = NULL
           FROM unnest($1::bigint[], $2::varchar[], $3::int[]) AS g(id, locked_by, attempts)
           WHERE d.id = g.id AND d.locked_by = g.locked_by AND d.attempts = g.attempts AND d.status = 'running'`,
          [batch.map((m) => m.guard.id), batch.map((m) => m.guard.lockedBy), batch.map((m) => m.guard.attempts)],
        );
        for (const mark of batch) mark.resolve();
      } catch (error) {
        for (const mark of batch) mark.reject(error);
      }
    }
    this.marking = false;
  }
}
