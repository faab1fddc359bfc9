import { UnrecoverableError } from '../errors/domain-errors';
import type { Logger } from '../logger';
import { traceIdOf } from '../observability/traceparent';
import { retryDelayMs } from './backoff';
import type { CircuitBreakers } from './circuit-breakers';
import type { Claimed, DeliveryClaims, Guard } from './delivery-claims';
import type { DeliveryCompletions } from './delivery-completions';
import type { EventEnvelope } from './envelope';
import { InstanceStoppingError } from './instance-stopping-error';
import { LeaseLostError } from './lease-lost-error';
import type { AnyListener, ListenerContext } from './listener';
import type { Transactions } from './transactions';

const DEFAULTS = { maxAttempts: 5, timeoutMs: 30_000, backoffMs: 1_000 };

/**
 * How a run ended: `done`; `retry` (failed, due again later); `dead` (failed for the last time);
 * `waiting` (its dependency's breaker is open: it waits for it, no attempt spent); `lease_lost`
 * (another instance took it over); `released` (its instance stopped; the row is handed back);
 * `error` (its outcome could not be recorded).
 */
export type RunOutcome = 'done' | 'retry' | 'dead' | 'waiting' | 'lease_lost' | 'released' | 'error';

/** One claimed delivery to run. */
export interface Run {
  listener: AnyListener;
  row: Claimed;
  event: EventEnvelope;
  /** The run is its dependency's breaker probe. */
  probe: boolean;
  /** Aborted when the run's time is up, its lease is lost or the instance stops. */
  abort: AbortController;
  instanceId: string;
}

export interface RunDeps {
  logger: Logger;
  transactions: Transactions;
  completions: DeliveryCompletions;
  claims: DeliveryClaims;
  breakers: CircuitBreakers;
}

/** Runs the listener's handler under its time limit and records the outcome on the delivery row. */
export async function executeRun(run: Run, deps: RunDeps): Promise<RunOutcome> {
  const { listener, row, event, abort } = run;
  // A child logger costs more than most runs' own work: made only when something logs.
  let logger: Logger | undefined;
  const log = () =>
    (logger ??= deps.logger.child({
      listener: listener.name,
      eventId: event.id,
      event: event.name,
      deliveryId: row.delivery_id,
      attempt: row.attempts,
      requestId: event.context.requestId,
      traceId: traceIdOf(event.context.traceparent),
    }));
  const maxAttempts = listener.maxAttempts ?? DEFAULTS.maxAttempts;
  const guard: Guard = { id: row.delivery_id, lockedBy: run.instanceId, attempts: row.attempts };
  if (row.attempts > maxAttempts) {
    // Its instances kept dying mid-run (each takeover counts as an attempt).
    await markDead(deps, run, guard, 'lease expired on every attempt');
    return 'dead';
  }

  let completed = false;
  const origin = { actorId: event.actorId, tenantId: event.tenantId, context: event.context };
  const ctx: ListenerContext = {
    attempt: row.attempts,
    signal: abort.signal,
    get logger() {
      return log();
    },
    dependency: row.dependency,
    transaction: (work) => deps.transactions.run(origin, work),
    complete: async (work) => {
      const value = await deps.completions.complete({ guard, origin, signal: abort.signal, work });
      completed = true;
      return value;
    },
  };

  // The run's own time limit: the lease is renewed while it runs, so the two are independent.
  const timeoutMs = listener.timeoutMs ?? DEFAULTS.timeoutMs;
  const started = Date.now();
  try {
    await withTimeout(listener.handle(event, ctx), timeoutMs, abort);
    if (!completed) await deps.completions.markDone(guard);
    if (row.dependency) await deps.breakers.succeeded(row.dependency);
    if (deps.logger.isLevelEnabled('debug')) log().debug({ ms: Date.now() - started, probe: run.probe || undefined }, 'listener done');
    return 'done';
  } catch (thrown) {
    // A run aborted because its lease was lost, or its instance stops, ends for that reason,
    // whatever the handler threw on the abort.
    const reason: unknown = abort.signal.reason;
    const error = reason instanceof LeaseLostError || reason instanceof InstanceStoppingError ? reason : thrown;
    if (error instanceof LeaseLostError) {
      log().warn('listener lost its lease; another instance runs it');
      return 'lease_lost';
    }
    if (error instanceof InstanceStoppingError) return 'released';
    const message = errorMessage(error);
    if (row.dependency && !(error instanceof UnrecoverableError)) {
      const state = await deps.breakers.failed(row.dependency, message, run.probe);
      if (state !== 'closed') {
        log().warn({ err: error, dependency: row.dependency }, 'listener failed and its dependency\'s circuit is open; it waits');
        await deps.claims.waitForBreaker(guard, message);
        return 'waiting';
      }
    }
    if (error instanceof UnrecoverableError || row.attempts >= maxAttempts) {
      log().error({ err: error }, 'listener failed for the last time; delivery is dead');
      await markDead(deps, run, guard, message);
      return 'dead';
    }
    const delay = listener.retryDelayMs
      ? listener.retryDelayMs(row.attempts, error)
      : retryDelayMs(row.attempts, listener.backoffMs ?? DEFAULTS.backoffMs);
    log().warn({ err: error, retryInMs: delay }, 'listener failed; will retry');
    await deps.claims.retryLater(guard, message, delay);
    return 'retry';
  }
}

async function markDead(deps: RunDeps, run: Run, guard: Guard, message: string): Promise<void> {
  const { row, listener, event } = run;
  await deps.transactions.run({ actorId: null, tenantId: null, context: row.context }, async (tx) => {
    const updated = await tx.manager.query(
      `WITH dead AS (
         UPDATE deliveries SET status = 'dead', locked_by = NULL, last_error = $4, updated_at = now()
         WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running' RETURNING id
       ) SELECT id FROM dead`,
      [guard.id, guard.lockedBy, guard.attempts, message],
    );
    if (updated.length === 0) return;
    tx.record('system.listener.failed', {
      deliveryId: row.delivery_id,
      listener: row.listener,
      eventId: row.id,
      eventName: row.name,
      attempts: row.attempts,
      error: message,
    });
    await listener.onDead?.(event, { tx, attempts: row.attempts, error: message, dependency: row.dependency });
  });
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 1000);
}

/** `work`, or a timeout error after `ms` (the run's signal is aborted with it). Also ends when the signal is aborted otherwise. */
async function withTimeout<T>(work: Promise<T>, ms: number, abort: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => abort.abort(new Error(`timed out after ${ms} ms`)), ms);
    onAbort = () => reject(abort.signal.reason);
    abort.signal.addEventListener('abort', onAbort, { once: true });
  });
  work.catch(() => undefined); // if it ends after the run did, its failure is nobody's to handle
  try {
    return await Promise.race([work, stopped]);
  } finally {
    clearTimeout(timer);
    abort.signal.removeEventListener('abort', onAbort);
  }
}
