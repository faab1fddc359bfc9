import { runCompletionBatch, type CompletionBatchDeps, type DeliveryGuard, type PendingCompletion } from './completion-batch';
import type { EventOrigin, Tx } from './transactions';

/**
 * At most this many completions share a transaction: it bounds how long a batch holds its rows'
 * locks, and what one failing work makes run a second time (each alone).
 */
const MAX_BATCH = 64;
/**
 * Batches commit one at a time, so that a batch holds what arrived while the previous one ran
 * (with two lanes taking turns, batches were half the size and cost twice the round trips).
 * When the batch under way has run longer than SLOW_BATCH_MS (a work doing DDL, a lock wait),
 * another starts beside it on a connection of its own, up to MAX_LANES at once, so one slow work
 * does not hold up every other completion of the instance.
 */
const MAX_LANES = 4;
const SLOW_BATCH_MS = 50;
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
 * transaction for all their works (see runCompletionBatch). `markDone` (handlers that never call
 * `complete`) coalesces the same way into one UPDATE.
 *
 * Two batches run at once only when one is slow; they may then lock the same rows (two
 * completions of one listener touching one counter) in opposite orders, as batches of two
 * instances always could: PostgreSQL ends such a deadlock by failing one transaction, whose
 * completions then run alone.
 */
export class DeliveryCompletions {
  private readonly queue: PendingCompletion[] = [];
  /** Start times of the batches under way. */
  private readonly running = new Set<{ startedAt: number }>();
  private scheduled = false;
  private marks: { guard: DeliveryGuard; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private marking = false;

  constructor(private readonly deps: CompletionBatchDeps) {}

  /**
   * Runs `work` with the delivery's completion; resolves after the commit. Rejects with the work's
   * error, LeaseLostError, or the run's abort reason; then nothing of it committed.
   */
  complete<T>(request: CompletionRequest<T>): Promise<T> {
    const { signal, ...rest } = request;
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
        ...rest,
        signal,
        settle: (outcome) => {
          signal.removeEventListener('abort', onAbort);
          if (outcome.ok) resolve(outcome.value as T);
          else reject(outcome.error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(item);
      this.startBatchIfDue();
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

  /**
   * Starts a batch when none runs (after one turn of the event loop, so that the runs started by
   * one claim complete together), or beside the ones under way when they are all slow.
   */
  private startBatchIfDue(): void {
    if (this.scheduled || this.queue.length === 0) return;
    const now = performance.now();
    const allSlow = [...this.running].every((batch) => now - batch.startedAt >= SLOW_BATCH_MS);
    if (this.running.size >= MAX_LANES || !allSlow) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.runBatch();
    });
  }

  private async runBatch(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    const lane = { startedAt: performance.now() };
    this.running.add(lane);
    // If this batch turns out slow, the next one may start beside it.
    const slow = setTimeout(() => this.startBatchIfDue(), SLOW_BATCH_MS);
    try {
      await runCompletionBatch(this.deps, batch);
    } catch (error) {
      // runCompletionBatch settles every item itself; this is a last resort, settling twice is a no-op.
      for (const item of batch) item.settle({ ok: false, error });
    } finally {
      clearTimeout(slow);
      this.running.delete(lane);
    }
    this.startBatchIfDue();
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
