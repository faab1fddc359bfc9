import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import type { Transactions } from './transactions';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** A breaker as the shared table holds it. */
export interface BreakerRow {
  key: string;
  state: BreakerState;
  failures: number;
  retry_at: Date | null;
  probe_until: Date | null;
}

export interface CircuitBreakerOptions {
  instanceId: string;
  /** Consecutive failed runs that open a dependency's breaker. */
  failureThreshold: number;
  /** Wait before the first probe, ms; it doubles after each failed probe, up to `maxCooldownMs`. */
  cooldownMs: number;
  maxCooldownMs: number;
  /** How long a probe may run before another instance may probe instead (the runtime's lease). */
  probeMs: number;
}

/** Reads every breaker that is not closed and clean: what each instance's view is refreshed from. */
export const BREAKERS_SQL = `SELECT key, state, failures, retry_at, probe_until FROM circuit_breakers
  WHERE state <> 'closed' OR failures > 0`;

/**
 * Circuit breakers on the outbound dependencies listeners declare (`dependsOn`), ONE mechanism for
 * all of them; the key is the delivery row's `dependency` (e.g. `smtp`), so a row can name a
 * breaker of its own (a webhook endpoint). The state is shared by every instance in the
 * `circuit_breakers` table:
 *
 * - closed: runs go ahead; `failure_threshold` consecutive failed runs (on any instances) open it;
 * - open: claims leave the dependency's rows alone and they are held (no attempt spent, no slot
 *   taken) until, after the cooldown, one instance takes the probe;
 * - half_open: one row runs as the probe; success closes the breaker and releases the held rows,
 *   which then go out in order of due time; failure opens it again for twice the cooldown.
 *
 * Opening and closing record `system.circuit.opened` / `system.circuit.closed` in the transaction
 * that changes the state. Each instance keeps a view of the breakers that are not closed and clean,
 * refreshed by the runtime once per poll and updated by its own changes, so a run that succeeds
 * while its breaker is closed and clean costs no statement.
 */
export class CircuitBreakers {
  private view = new Map<string, BreakerRow>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly logger: Logger,
    private readonly options: CircuitBreakerOptions,
  ) {}

  /** Dependencies whose rows claims leave alone: open, or half open (only the probe runs). */
  blocked(): string[] {
    return [...this.view.values()].filter((b) => b.state !== 'closed').map((b) => b.key);
  }

  /** The state of `key` in this instance's view. */
  stateOf(key: string): BreakerState {
    return this.view.get(key)?.state ?? 'closed';
  }

  /** Replaces the view with the rows of BREAKERS_SQL. */
  refresh(rows: readonly BreakerRow[]): void {
    this.view = new Map(rows.map((row) => [row.key, row]));
  }

  /** Breakers whose probe may start: open past their cooldown, or half open with a probe whose instance gave up. */
  probesDue(now = Date.now()): string[] {
    return [...this.view.values()]
      .filter(
        (b) =>
          (b.state === 'open' && b.retry_at !== null && new Date(b.retry_at).getTime() <= now) ||
          (b.state === 'half_open' && b.probe_until !== null && new Date(b.probe_until).getTime() <= now),
      )
      .map((b) => b.key);
  }

  /** Takes the probe of `key` for this instance; false when another instance took it first. */
  async takeProbe(key: string): Promise<boolean> {
    const rows: BreakerRow[] = await this.dataSource.query(
      `WITH taken AS (
         UPDATE circuit_breakers SET state = 'half_open', probe_by = $2, updated_at = now(),
                probe_until = now() + $3 * interval '1 millisecond'
         WHERE key = $1 AND ((state = 'open' AND retry_at <= now()) OR (state = 'half_open' AND probe_until <= now()))
         RETURNING key, state, failures, retry_at, probe_until
       ) SELECT * FROM taken`,
      [key, this.options.instanceId, this.options.probeMs],
    );
    if (rows[0]) this.view.set(key, rows[0]);
    return rows.length > 0;
  }

  /**
   * A run that needed `key` failed (`probe`: it was the probe). Returns the breaker's state after
   * it: when not closed, the run's row waits for the breaker instead of spending an attempt.
   */
  async failed(key: string, error: string, probe: boolean): Promise<BreakerState> {
    const reason = error.slice(0, 300);
    const row = probe ? await this.probeFailed(key, reason) : await this.countFailure(key, reason);
    this.view.set(key, row);
    return row.state;
  }

  /** A run that needed `key` succeeded: the dependency answers, so its breaker closes (if it was not). */
  async succeeded(key: string): Promise<void> {
    if (!this.view.has(key)) return; // closed and clean: nothing to write
    await this.transactions.run(SYSTEM, async (tx) => {
      const [closed]: { was: BreakerState; open_seconds: number | null }[] = await tx.manager.query(
        `WITH old AS (SELECT key, state, opened_at FROM circuit_breakers WHERE key = $1 FOR UPDATE),
         closed AS (
           UPDATE circuit_breakers b
           SET state = 'closed', failures = 0, failed_probes = 0, opened_at = NULL, retry_at = NULL,
               probe_by = NULL, probe_until = NULL, updated_at = now()
           FROM old WHERE b.key = old.key
           RETURNING old.state AS was, extract(epoch FROM now() - old.opened_at)::float AS open_seconds
         ) SELECT * FROM closed`,
        [key],
      );
      if (!closed || closed.was === 'closed') return;
      // The rows that waited go back in line, in order of due time (their due_at was kept).
      await tx.manager.query(
        `UPDATE deliveries SET held_until = NULL WHERE dependency = $1 AND held_until = 'infinity' AND status = 'pending'`,
        [key],
      );
      tx.record('system.circuit.closed', { dependency: key, openSeconds: Math.round(closed.open_seconds ?? 0) });
      this.logger.info({ dependency: key }, 'circuit closed: the dependency answers again');
    });
    this.view.delete(key);
  }

  private async countFailure(key: string, error: string): Promise<BreakerRow> {
    return this.transactions.run(SYSTEM, async (tx) => {
      const [row]: (BreakerRow & { opened_now: boolean })[] = await tx.manager.query(
        `INSERT INTO circuit_breakers AS b (key, state, failures, opened_at, retry_at, last_error)
         VALUES ($1, CASE WHEN $3 <= 1 THEN 'open' ELSE 'closed' END, 1,
                 CASE WHEN $3 <= 1 THEN now() END, CASE WHEN $3 <= 1 THEN now() + $4 * interval '1 millisecond' END, $2)
         ON CONFLICT (key) DO UPDATE SET
           failures = b.failures + 1, last_error = excluded.last_error, updated_at = now(),
           state = CASE WHEN b.state = 'closed' AND b.failures + 1 >= $3 THEN 'open' ELSE b.state END,
           opened_at = CASE WHEN b.state = 'closed' AND b.failures + 1 >= $3 THEN now() ELSE b.opened_at END,
           retry_at = CASE WHEN b.state = 'closed' AND b.failures + 1 >= $3
                           THEN now() + $4 * interval '1 millisecond' ELSE b.retry_at END
         RETURNING key, state, failures, retry_at, probe_until, (state = 'open' AND opened_at = now()) AS opened_now`,
        [key, error, this.options.failureThreshold, this.options.cooldownMs],
      );
      if (row.opened_now) {
        // Its waiting rows are held now; the runtime holds the ones that come due later.
        await tx.manager.query(
          `UPDATE deliveries SET held_until = 'infinity' WHERE dependency = $1 AND status = 'pending' AND held_until IS NULL`,
          [key],
        );
        tx.record('system.circuit.opened', {
          dependency: key,
          failures: row.failures,
          error,
          retryAt: new Date(row.retry_at!).toISOString(),
        });
        this.logger.warn({ dependency: key, failures: row.failures, error }, 'circuit opened: runs that need the dependency wait');
      }
      const { opened_now: _, ...breaker } = row;
      return breaker;
    });
  }

  private async probeFailed(key: string, error: string): Promise<BreakerRow> {
    const [row]: BreakerRow[] = await this.dataSource.query(
      `WITH reopened AS (
         UPDATE circuit_breakers
         SET state = 'open', failures = failures + 1, failed_probes = failed_probes + 1, last_error = $2,
             probe_by = NULL, probe_until = NULL, updated_at = now(),
             retry_at = now() + least($4::float, $3::float * 2 ^ (failed_probes + 1)) * interval '1 millisecond'
         WHERE key = $1
         RETURNING key, state, failures, retry_at, probe_until
       ) SELECT * FROM reopened`,
      [key, error, this.options.cooldownMs, this.options.maxCooldownMs],
    );
    this.logger.info({ dependency: key, retryAt: row?.retry_at }, 'circuit probe failed; the breaker stays open');
    return row ?? { key, state: 'open', failures: 0, retry_at: null, probe_until: null };
  }
}

const SYSTEM = { actorId: null, tenantId: null, context: { requestId: null, ip: null, userAgent: null } };
