import { runCompletionBatch, type CompletionBatchDeps, type DeliveryGuard, type PendingCompletion } from './completion-batch';
import type { EventOrigin, Tx } from './transactions';

/**
 * At most this many completions share a transaction. Each work that writes takes a subtransaction
 * (its savepoint); PostgreSQL caches 64 per backend, and past that every other session's snapshot
 * checks get slower (subtransaction overflow). It also bounds what one failure can take with it.
 */
const MAX_BATCH = 32;
/**
 * Batches that commit at once, on connections of their own. Works run one after another inside a
 * batch, so a single lane is bound by round trips; a listener always uses the same lane, so its
 * completions (which tend to touch the same rows: a counter, a tenant) never run in two of this
 * instance's batches at once and cannot deadlock each other.
 */
const LANES = 4;
/** Deliveries marked done in one statement, at most. */
const MAX_MARKS = 500;

/** What `ctx.complete` hands over: the delivery it completes, the run's origin and signal, the work. */
export interface CompletionRequest<T> {
  /** The listener's name: its completions share a lane. */
  listener: string;
  guard: DeliveryGuard;
  origin: EventOrigin;
  signal: AbortSignal;
  work: (tx: Tx) => Promise<T>;
}

/**
 * Completes deliveries in groups (group commit). `complete` calls that arrive while their lane's
 * batch is committing, or in the same turn of the event loop, run together in the lane's next
 * batch: one transaction, one savepoint per work (see runCompletionBatch). A batch's size is what
 * arrived while the previous one ran. `markDone` (handlers that never call `complete`)
 * coalesces the same way into one UPDATE.
 */
type Lane = { queue: PendingCompletion[]; flushing: boolean };

export class DeliveryCompletions {
  private readonly lanes = Array.from({ length: LANES }, () => ({ queue: [] as PendingCompletion[], flushing: false }));
  private readonly laneOf = new Map<string, Lane>();
  private marks: { guard: DeliveryGuard; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private marking = false;

  constructor(private readonly deps: CompletionBatchDeps) {}

  /**
   * Runs `work` with the delivery's completion; resolves after the commit. Rejects with the work's
   * error, LeaseLostError, the run's abort reason, or BatchAbandonedError; then nothing of it committed.
   */
  complete<T>(request: CompletionRequest<T>): Promise<T> {
    const { signal, listener, ...rest } = request;
    if (signal.aborted) return Promise.reject(signal.reason);
    const lane = this.laneFor(listener);
    return new Promise<T>((resolve, reject) => {
      // A run whose time is up while it waits for a batch leaves the queue at once.
      const onAbort = () => {
        const at = lane.queue.indexOf(item);
        if (at < 0) return; // in a batch already: the batch handles it
        lane.queue.splice(at, 1);
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
      lane.queue.push(item);
      if (lane.flushing) return;
      lane.flushing = true;
      // One turn of the event loop: the runs started by one claim call `complete` together.
      setImmediate(() => void this.flush(lane));
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

  /** Listeners are spread over the lanes in the order they first complete something. */
  private laneFor(listener: string): Lane {
    let lane = this.laneOf.get(listener);
    if (!lane) this.laneOf.set(listener, (lane = this.lanes[this.laneOf.size % LANES]));
    return lane;
  }

  private async flush(lane: Lane): Promise<void> {
    while (lane.queue.length > 0) {
      const batch = lane.queue.splice(0, MAX_BATCH);
      try {
        await runCompletionBatch(this.deps, batch);
      } catch (error) {
        // runCompletionBatch settles every item itself; this is a last resort, settling twice is a no-op.
        for (const item of batch) item.settle({ ok: false, error });
      }
    }
    lane.flushing = false;
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
