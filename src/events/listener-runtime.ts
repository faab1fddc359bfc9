import type { DataSource } from 'typeorm';
import { UnrecoverableError } from '../errors/domain-errors';
import type { Logger } from '../logger';
import { traceIdOf } from '../observability/traceparent';
import { retryDelayMs } from './backoff';
import type { EventEnvelope } from './envelope';
import type { DeliveryCompletions } from './delivery-completions';
import { ENVELOPE_COLUMNS, envelopeOf, type EventRow } from './event-store';
import { LeaseLostError } from './lease-lost-error';
import type { AnyListener, ListenerContext } from './listener';
import type { Transactions } from './transactions';

const DEFAULTS = { maxAttempts: 5, timeoutMs: 30_000, backoffMs: 1_000 };

export interface ListenerRuntimeOptions {
  /** Identifies this instance in `deliveries.locked_by`. */
  instanceId: string;
  /**
   * Handlers run at once on this instance (default 32). Runs that reach `ctx.complete` wait for a
   * shared batch, and a batch holds what arrived while the previous one ran: with 8, batches stay
   * too small to pay for their extra round trips.
   */
  concurrency?: number;
  /** Fallback poll when no wake-up arrives, ms. */
  pollIntervalMs?: number;
  /** How long a claim is this instance's; a claim whose instance died is taken over after it. */
  leaseMs?: number;
  /** Called as each run starts; the function it returns is called with the run's outcome (metrics, spans). */
  observe?: (run: { listener: string; event: EventEnvelope; attempt: number }) => (outcome: RunOutcome) => void;
}

/**
 * How a run ended: `done`; `retry` (failed, due again later); `dead` (failed for the last time);
 * `lease_lost` (another instance took it over); `error` (its outcome could not be recorded).
 */
export type RunOutcome = 'done' | 'retry' | 'dead' | 'lease_lost' | 'error';

interface Claimed extends EventRow {
  delivery_id: string;
  listener: string;
  attempts: number;
}

/**
 * Runs listeners for due delivery rows. Each instance claims rows with `FOR UPDATE SKIP LOCKED`,
 * so exactly one runs each (event, listener) at a time; a claim is a lease, and a row whose lease
 * expired (its instance died) is claimed again. Failures retry with backoff up to the listener's
 * maximum; then the row is dead and `system.listener.failed` is recorded.
 *
 * A row's life: pending → running (claimed) → done | pending (retry later) | dead.
 */
export class ListenerRuntime {
  private readonly byName: Map<string, AnyListener>;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly active = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeRequested = false;
  private wakeSleeper: (() => void) | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly completions: DeliveryCompletions,
    listeners: readonly AnyListener[],
    private readonly logger: Logger,
    private readonly options: ListenerRuntimeOptions,
  ) {
    this.byName = new Map(listeners.map((l) => [l.name, l]));
    this.concurrency = options.concurrency ?? 32;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 2 * 60_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Claim now rather than at the next poll: called when an event was committed or published. */
  wake(): void {
    this.wakeRequested = true;
    this.wakeSleeper?.();
  }

  /**
   * Stops claiming, lets running handlers finish until `deadline` (epoch ms), then releases the
   * rows of those still running so another instance takes them at once. Safe to call twice.
   */
  async stop(deadline: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.active.values()].map((a) => a.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    for (const run of this.active.values()) run.abort.abort(new Error('instance shutting down'));
    await this.dataSource.query(
      `UPDATE deliveries SET status = 'pending', locked_by = NULL, due_at = now(),
              attempts = greatest(attempts - 1, 0), updated_at = now()
       WHERE locked_by = $1 AND status = 'running'`,
      [this.options.instanceId],
    );
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.wakeRequested = false;
      const free = this.concurrency - this.active.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const rows = await this.claimDue(free);
          claimed = rows.length;
          for (const row of rows) this.run(row);
        } catch (error) {
          this.logger.warn({ err: error }, 'claiming deliveries failed; retrying at the next poll');
        }
      }
      // A full batch suggests more are due: go again once a slot is free.
      if (claimed === free && claimed > 0) continue;
      if (!this.wakeRequested && this.running) await this.sleepUntilWoken(this.pollIntervalMs);
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = () => {
        this.wakeSleeper = null;
        done();
      };
    });
  }

  /** Claims up to `limit` due rows of the listeners this instance runs, with their events. */
  async claimDue(limit: number): Promise<Claimed[]> {
    return this.dataSource.query(
      `WITH due AS (
         SELECT id FROM deliveries
         WHERE status IN ('pending', 'running') AND due_at <= now() AND listener = ANY($3)
         ORDER BY due_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE deliveries d
         SET status = 'running', attempts = d.attempts + 1, locked_by = $1,
             due_at = now() + $4 * interval '1 millisecond', updated_at = now()
         FROM due WHERE d.id = due.id
         RETURNING d.id, d.event_id, d.listener, d.attempts
       )
       SELECT c.id::text AS delivery_id, c.listener, c.attempts, ${ENVELOPE_COLUMNS}
       FROM claimed c JOIN events e ON e.id = c.event_id
       ORDER BY e.seq`,
      [this.options.instanceId, limit, [...this.byName.keys()], this.leaseMs],
    );
  }

  private run(row: Claimed): void {
    const abort = new AbortController();
    const finished = this.options.observe?.({ listener: row.listener, event: envelopeOf(row), attempt: row.attempts });
    const done = this.execute(row, abort)
      .then((outcome) => finished?.(outcome))
      .catch((error) => {
        // Recording the outcome failed (database down?): the lease expires and the row is retried.
        this.logger.error({ err: error, deliveryId: row.delivery_id }, 'could not record a delivery outcome');
        finished?.('error');
      })
      .finally(() => {
        this.active.delete(row.delivery_id);
        this.wake(); // a slot is free
      });
    this.active.set(row.delivery_id, { abort, done });
  }

  private async execute(row: Claimed, abort: AbortController): Promise<RunOutcome> {
    const listener = this.byName.get(row.listener)!;
    const event = envelopeOf(row);
    // A child logger costs more than most runs' own work: made only when something logs.
    let logger: Logger | undefined;
    const log = () =>
      (logger ??= this.logger.child({
        listener: listener.name,
        eventId: event.id,
        event: event.name,
        deliveryId: row.delivery_id,
        attempt: row.attempts,
        requestId: event.context.requestId,
        traceId: traceIdOf(event.context.traceparent),
      }));
    const maxAttempts = listener.maxAttempts ?? DEFAULTS.maxAttempts;
    if (row.attempts > maxAttempts) {
      // Its instances kept dying mid-run (each takeover counts as an attempt).
      await this.markDead(row, event.name, 'lease expired on every attempt');
      return 'dead';
    }

    let completed = false;
    const guard = { id: row.delivery_id, lockedBy: this.options.instanceId, attempts: row.attempts };
    const origin = { actorId: event.actorId, tenantId: event.tenantId, context: event.context };
    const ctx: ListenerContext = {
      attempt: row.attempts,
      signal: abort.signal,
      get logger() {
        return log();
      },
      transaction: (work) => this.transactions.run(origin, work),
      complete: async (work) => {
        const value = await this.completions.complete({ guard, origin, signal: abort.signal, work });
        completed = true;
        return value;
      },
    };

    // A run never outlives its lease, or a second instance could start it while it still runs.
    const timeoutMs = Math.min(listener.timeoutMs ?? DEFAULTS.timeoutMs, this.leaseMs / 2);
    const started = Date.now();
    try {
      await withTimeout(listener.handle(event, ctx), timeoutMs, abort);
      if (!completed) await this.completions.markDone(guard);
      if (this.logger.isLevelEnabled('debug')) log().debug({ ms: Date.now() - started }, 'listener done');
      return 'done';
    } catch (error) {
      if (error instanceof LeaseLostError) {
        log().warn('listener lost its lease; another instance runs it');
        return 'lease_lost';
      }
      const message = errorMessage(error);
      if (error instanceof UnrecoverableError || row.attempts >= maxAttempts) {
        log().error({ err: error }, 'listener failed for the last time; delivery is dead');
        await this.markDead(row, event.name, message);
        return 'dead';
      } else {
        const delay = retryDelayMs(row.attempts, listener.backoffMs ?? DEFAULTS.backoffMs);
        log().warn({ err: error, retryInMs: delay }, 'listener failed; will retry');
        await this.dataSource.query(
          `UPDATE deliveries SET status = 'pending', locked_by = NULL, last_error = $4, updated_at = now(),
                  due_at = now() + $5 * interval '1 millisecond'
           WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'`,
          [guard.id, guard.lockedBy, guard.attempts, message, delay],
        );
        return 'retry';
      }
    }
  }

  private async markDead(row: Claimed, eventName: string, message: string): Promise<void> {
    await this.transactions.run({ actorId: null, tenantId: null, context: row.context }, async (tx) => {
      const updated = await tx.manager.query(
        `WITH dead AS (
           UPDATE deliveries SET status = 'dead', locked_by = NULL, last_error = $4, updated_at = now()
           WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running' RETURNING id
         ) SELECT id FROM dead`,
        [row.delivery_id, this.options.instanceId, row.attempts, message],
      );
      if (updated.length === 0) return;
      tx.record('system.listener.failed', {
        deliveryId: row.delivery_id,
        listener: row.listener,
        eventId: row.id,
        eventName,
        attempts: row.attempts,
        error: message,
      });
    });
  }
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 1000);
}

async function withTimeout<T>(work: Promise<T>, ms: number, abort: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${ms} ms`);
      abort.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
