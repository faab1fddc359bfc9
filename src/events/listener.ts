import type { Logger } from '../logger';
import type { EventName } from './catalog';
import type { EventEnvelope } from './envelope';
import type { Tx } from './transactions';

/** What a handler gets besides the event. */
export interface ListenerContext {
  /** This run's attempt number, from 1. */
  readonly attempt: number;
  /** Aborted when the handler's time is up or the instance shuts down. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /**
   * The delivery row's dependency: the listener's `dependsOn`, or, for rows written per target by
   * the event store's `targetedDeliveries` (a webhook endpoint), the target's breaker key.
   */
  readonly dependency: string | null;
  /**
   * Runs `work` in a transaction that also marks this delivery done, so the listener's database
   * effect and its completion commit together and a rerun cannot apply the effect twice. Events
   * recorded in it are attributed to the handled event's actor, tenant and request. Call it at
   * most once, as the handler's last step; a handler that does not call it is marked done when it
   * returns.
   *
   * The transaction is shared with other runs' completions (see DeliveryCompletions): keep `work`
   * to database work through `tx` (network calls go before `complete`), leave session settings as
   * found, and let it run twice: when another work in its batch fails, the batch is rolled back
   * and every work runs again, alone. It resolves after the commit; it rejects with `work`'s error
   * (only its own effect rolled back), with LeaseLostError, or with the run's abort reason.
   */
  complete<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in a transaction attributed like `complete`'s, without completing the delivery:
   * for records that must stay even when this run then fails (a failed send, say).
   */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/** The envelope of any of the names in `N`, narrowed by `event.name`. */
export type EnvelopeOf<N extends EventName> = { [K in N]: EventEnvelope<K> }[N];

/**
 * A listener: one effect, run once per event it is `on`, with retries. Handlers must be
 * idempotent (keyed by the event id): a run can repeat after a crash between effect and completion.
 */
export interface Listener<N extends EventName = EventName> {
  /** Stable name: delivery rows, retries and metrics are keyed by it. Never rename a live one. */
  readonly name: string;
  readonly on: readonly N[];
  handle(event: EnvelopeOf<N>, ctx: ListenerContext): Promise<void>;
  /** Runs before the delivery is dead (default 5). */
  readonly maxAttempts?: number;
  /** Per-run time limit, ms (default 30 s). */
  readonly timeoutMs?: number;
  /** First retry delay, ms; doubles per attempt, with jitter (default 1 s). */
  readonly backoffMs?: number;
  /**
   * The wait before the next attempt after failed attempt number `attempt` (from 1) threw `error`,
   * ms; replaces `backoffMs` (a fixed schedule, or a wait the failure asked for).
   */
  retryDelayMs?(attempt: number, error: unknown): number;
  /**
   * Runs in the transaction that marks a delivery dead (retries exhausted, or an unrecoverable
   * error), to record what the listener's users must know (e.g. `webhook.message.failed`).
   */
  onDead?(event: EnvelopeOf<N>, dead: { tx: Tx; attempts: number; error: string; dependency: string | null }): Promise<void>;
  /**
   * Run this long after the event commits instead of at once (a reminder, an expiry), ms. The
   * delivery row is written with the event and waits in the database until it is due, so it
   * survives restarts and runs once across instances; the handler decides whether it still applies.
   */
  readonly delayMs?: number;
  /**
   * The outbound dependency its runs need (e.g. `smtp`): the key of the circuit breaker they
   * share. After consecutive failed runs of any listener that depends on it, its runs wait
   * (holding no slot, spending no attempt) until a probe succeeds. Written on each delivery row.
   */
  readonly dependsOn?: string;
}

/** Types a listener's `handle` from its `on` list. */
export function defineListener<const N extends EventName>(listener: Listener<N>): Listener<N> {
  return listener;
}

/** Listeners of any event names, as the runtime holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyListener = Listener<any>;

/** For the event store: which listeners get a delivery row for each event name. */
export function listenerNamesByEvent(
  listeners: readonly Pick<AnyListener, 'name' | 'on'>[],
): (name: EventName) => readonly string[] {
  const byEvent = new Map<string, string[]>();
  for (const listener of listeners) {
    for (const name of listener.on as string[]) byEvent.set(name, [...(byEvent.get(name) ?? []), listener.name]);
  }
  return (name) => byEvent.get(name) ?? [];
}

/** For the event store: the dependency written on each listener's delivery rows (`dependsOn`), or null. */
export function listenerDependencies(listeners: readonly Pick<AnyListener, 'name' | 'dependsOn'>[]): (listener: string) => string | null {
  const dependencies = new Map(listeners.filter((l) => l.dependsOn).map((l) => [l.name, l.dependsOn!]));
  return (listener) => dependencies.get(listener) ?? null;
}

/** For the event store: how long after its event each listener's delivery is due (0 unless `delayMs`). */
export function listenerDelays(listeners: readonly Pick<AnyListener, 'name' | 'delayMs'>[]): (listener: string) => number {
  const delays = new Map(listeners.filter((l) => l.delayMs).map((l) => [l.name, l.delayMs!]));
  return (listener) => delays.get(listener) ?? 0;
}
