import type { DataSource } from 'typeorm';
import { pgClientOf, runTogether } from '../db/pg-client';
import type { Logger } from '../logger';
import { BREAKERS_SQL, type BreakerRow, type CircuitBreakers } from './circuit-breakers';
import { DeliveryClaims, HOUSEKEEPING_SQL, type Claimed } from './delivery-claims';
import type { DeliveryCompletions } from './delivery-completions';
import { PLATFORM_QUEUE } from './delivery-schedule';
import type { EventEnvelope } from './envelope';
import { envelopeOf } from './event-store';
import { InstanceStoppingError } from './instance-stopping-error';
import { LeaseLostError } from './lease-lost-error';
import type { AnyListener } from './listener';
import { executeRun, type RunOutcome } from './listener-run';
import { TenantRate } from './tenant-rate';
import type { Transactions } from './transactions';

export type { RunOutcome } from './listener-run';

export interface ListenerRuntimeOptions {
  /** Identifies this instance in `deliveries.locked_by`. */
  instanceId: string;
  /**
   * Handlers run at once on this instance (default 32). Runs that reach `ctx.complete` wait for a
   * shared batch, and a batch holds what arrived while the previous one ran.
   */
  concurrency?: number;
  /** Fallback poll when no wake-up arrives, ms; also how often held rows and breakers are looked at. */
  pollIntervalMs?: number;
  /**
   * How long a claim is this instance's without a renewal, ms (default 15 s). Renewed every third
   * of it while the run goes on, so a claim outlives it only when its instance stopped renewing
   * (it died): another instance then takes it over.
   */
  leaseMs?: number;
  /** Runs of one tenant's deliveries at once, across instances (default 16); platform-level work has no cap. */
  tenantConcurrency?: number;
  /** Listener runs started per second per tenant on this instance; off when absent. */
  tenantRatePerSecond?: number;
  /** Runs at once, across instances, per dependency of those that start with `prefix` (one webhook endpoint each); no cap when absent. */
  dependencyConcurrency?: { prefix: string; limit: number };
  /** Called as each run starts; the function it returns is called with the run's outcome (metrics, spans). */
  observe?: (run: { listener: string; event: EventEnvelope; attempt: number }) => (outcome: RunOutcome) => void;
}

interface ActiveRun {
  id: string;
  attempts: number;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Runs listeners for due delivery rows. Each instance claims rows with `FOR UPDATE SKIP LOCKED`,
 * taking turns between tenants (src/events/delivery-claims.ts), so exactly one runs each
 * (event, listener) at a time; a claim is a lease the instance renews while the run goes on, and a
 * row whose lease ended (its instance died) is claimed again. Failures retry with backoff up to
 * the listener's maximum; then the row is dead and `system.listener.failed` is recorded. Rows that
 * need a dependency whose circuit breaker is open wait for it (src/events/circuit-breakers.ts).
 *
 * A row's life: pending → running (claimed) → done | pending (retry later) | dead.
 */
export class ListenerRuntime {
  private readonly byName: Map<string, AnyListener>;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly claims: DeliveryClaims;
  private readonly rate: TenantRate | null;
  private readonly active = new Map<string, ActiveRun>();
  /** The last tenant queue a claim served: the next claim starts after it. */
  private cursor = PLATFORM_QUEUE;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeRequested = false;
  private wakeSleeper: (() => void) | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private lastHousekeeping = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly completions: DeliveryCompletions,
    private readonly breakers: CircuitBreakers,
    listeners: readonly AnyListener[],
    private readonly logger: Logger,
    private readonly options: ListenerRuntimeOptions,
  ) {
    this.byName = new Map(listeners.map((l) => [l.name, l]));
    this.concurrency = options.concurrency ?? 32;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.claims = new DeliveryClaims(dataSource, {
      instanceId: options.instanceId,
      listeners: [...this.byName.keys()],
      leaseMs: this.leaseMs,
      tenantConcurrency: options.tenantConcurrency ?? 16,
      dependencyConcurrency: options.dependencyConcurrency,
    });
    this.rate = options.tenantRatePerSecond ? new TenantRate(options.tenantRatePerSecond) : null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.renewTimer = setInterval(() => void this.renewLeases(), this.leaseMs / 3);
    this.renewTimer.unref();
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
    if (this.active.size > 0) {
      this.logger.info({ running: this.active.size, deadlineInMs: deadline - Date.now() }, 'waiting for running listeners until the shutdown deadline');
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.active.values()].map((a) => a.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    for (const run of this.active.values()) run.abort.abort(new InstanceStoppingError());
    await this.claims.releaseOwn();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.wakeRequested = false;
      if (Date.now() - this.lastHousekeeping >= this.pollIntervalMs) await this.housekeep();
      const free = this.concurrency - this.active.size;
      // While runs are under way, wait until a quarter of the slots is free: one claim for many
      // rows rather than one per finished run.
      const worthClaiming = this.active.size === 0 ? 1 : Math.max(1, Math.floor(this.concurrency / 4));
      let claimed = 0;
      if (free >= worthClaiming) {
        try {
          claimed = await this.claimAndRun(free);
        } catch (error) {
          this.logger.warn({ err: error }, 'claiming deliveries failed; retrying at the next poll');
        }
      }
      // A full claim suggests more are due: go again once enough slots are free.
      if (claimed === free && claimed > 0) continue;
      if (!this.wakeRequested && this.running) await this.sleepUntilWoken(this.sleepMs());
    }
  }

  private sleepMs(): number {
    const untilHousekeeping = this.pollIntervalMs - (Date.now() - this.lastHousekeeping);
    const untilToken = this.rate?.nextTokenInMs() ?? Infinity;
    return Math.max(1, Math.min(untilHousekeeping, untilToken));
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

  /** Claims up to `limit` due rows of the listeners this instance runs, and starts them. */
  async claimAndRun(limit: number): Promise<number> {
    const rows = await this.claims.claim(limit, {
      cursor: this.cursor,
      blocked: this.breakers.blocked(),
      tokens: this.rate?.limits() ?? null,
    });
    let last: Claimed | undefined;
    for (const row of rows) {
      if (!last || row.ring_position > last.ring_position) last = row;
      this.rate?.take(row.queue);
      this.run(row, false);
    }
    if (last) this.cursor = last.queue;
    return rows.length;
  }

  /**
   * Once per poll, in one round trip: releases held rows that come due, holds the due rows of
   * dependencies whose breaker is open, and reads the breakers' shared state; then takes the
   * probes that are due.
   */
  private async housekeep(): Promise<void> {
    this.lastHousekeeping = Date.now();
    const runner = this.dataSource.createQueryRunner();
    try {
      const results = await runTogether(await pgClientOf(runner), [...HOUSEKEEPING_SQL, BREAKERS_SQL]);
      this.breakers.refresh(results.at(-1) as BreakerRow[]);
      for (const key of this.breakers.probesDue()) {
        if (this.active.size >= this.concurrency || !(await this.breakers.takeProbe(key))) continue;
        const row = await this.claims.claimProbe(key);
        if (row) this.run(row, true);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'delivery housekeeping failed; retrying at the next poll');
    } finally {
      await runner.release();
    }
  }

  /** Renews the leases of the runs under way; a run whose row was taken over is aborted. */
  private async renewLeases(): Promise<void> {
    const runs = [...this.active.values()];
    if (runs.length === 0) return;
    try {
      const held = await this.claims.renew(runs);
      for (const run of runs) {
        if (!held.has(run.id) && this.active.get(run.id) === run) run.abort.abort(new LeaseLostError(run.id));
      }
    } catch (error) {
      // The database is unreachable: runs go on; their completions check the claim they hold.
      this.logger.warn({ err: error }, 'could not renew listener leases; retrying');
    }
  }

  private run(row: Claimed, probe: boolean): void {
    const abort = new AbortController();
    const event = envelopeOf(row);
    const finished = this.options.observe?.({ listener: row.listener, event, attempt: row.attempts });
    const done = executeRun(
      {
        listener: this.byName.get(row.listener)!,
        row,
        event,
        probe,
        abort,
        instanceId: this.options.instanceId,
      },
      {
        logger: this.logger,
        transactions: this.transactions,
        completions: this.completions,
        claims: this.claims,
        breakers: this.breakers,
      },
    )
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
    this.active.set(row.delivery_id, { id: row.delivery_id, attempts: row.attempts, abort, done });
  }
}
