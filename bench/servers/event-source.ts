import { v7 as uuidv7 } from 'uuid';
import { runPaced } from '../support/concurrency';
import { BENCH_EVENT } from '../support/effect-listeners';
import { wallClockMs } from '../support/bench-child';

/**
 * What the fan-out servers (Herald, the floor, the recipe) have in common: the event they send,
 * how it is keyed, and how a burst of them is published on schedule.
 */

/** The subscription every subscriber of Herald and of the recipe runs: the whole event. */
export const TENANT_EVENTS_SUBSCRIPTION = `subscription BenchTenantEvents($tenantId: ID!) {
  tenantEvents(tenantId: $tenantId) { id seq name tenantId actorId occurredAt payload }
}`;

export { BENCH_EVENT };

/**
 * Each bench event carries `bench:<run>:<index>` in its payload (BENCH_EVENT's payload has one
 * field, `tenantId`, which no code reads; the envelope's tenantId is the subscribed tenant), so a
 * client knows which event of which measured run it received.
 */
export function eventKey(run: number, index: number): string {
  return `bench:${run}:${index}`;
}

export function parseEventKey(key: unknown): { run: number; index: number } | null {
  if (typeof key !== 'string' || !key.startsWith('bench:')) return null;
  const [, run, index] = key.split(':');
  return { run: Number(run), index: Number(index) };
}

/** A burst to publish: `count` events at `perSecond`, keyed with `run`. */
export interface PublishRequest {
  run: number;
  count: number;
  perSecond: number;
}

/**
 * Publishes the burst on schedule (an open loop: a slow publish does not delay the next one) with
 * `publishOne`. Returns, per event index, the wall-clock time at which the event existed, which
 * latency is measured from: with `existsWhen: 'done'`, when `publishOne` resolved (Herald: the
 * commit was acknowledged); with `'called'`, when it was called (the references: an application
 * publishes right after its commit, and the floor's broadcast starts there). An event whose
 * publication failed (a commit that timed out waiting for a connection) is NaN, and counted.
 */
export async function publishPaced(
  request: PublishRequest,
  existsWhen: 'called' | 'done',
  publishOne: (key: string, index: number) => Promise<void> | void,
): Promise<Published> {
  const existed = new Float64Array(request.count).fill(Number.NaN);
  const errors: string[] = [];
  await runPaced(request.perSecond, request.count, async (index) => {
    const called = wallClockMs();
    try {
      await publishOne(eventKey(request.run, index), index);
      existed[index] = existsWhen === 'called' ? called : wallClockMs();
    } catch (error) {
      errors.push((error as Error).message);
    }
  });
  return { existed, failed: errors.length, firstError: errors[0] ?? null };
}

export interface Published {
  /** Per event index, when it existed (ms since the epoch), or NaN when its publication failed. */
  existed: Float64Array;
  failed: number;
  firstError: string | null;
}

/** The event the reference servers send: Herald's envelope as the subscription selects it. */
export interface ReferenceEvent {
  id: string;
  seq: string;
  name: string;
  tenantId: string;
  actorId: string | null;
  occurredAt: string;
  payload: { tenantId: string };
}

let seq = 0;
export function referenceEvent(tenantId: string, key: string): ReferenceEvent {
  return {
    id: uuidv7(),
    seq: String(++seq),
    name: BENCH_EVENT,
    tenantId,
    actorId: null,
    occurredAt: new Date().toISOString(),
    payload: { tenantId: key },
  };
}
