import type { Published, PublishRequest } from '../servers/event-source';
import type { FanOutServerReady, FanOutTarget, ServerStats } from '../servers/server-contract';
import { startBenchChild, type BenchChild } from './bench-child';
import { sleep } from './concurrency';
import type { LoadClients } from './load-clients';

/** The servers the fan-out bench compares, and the file each runs. */
export const SERVER_ENTRIES = {
  herald: 'bench/servers/herald-server.ts',
  floor: 'bench/servers/floor-server.ts',
  recipe: 'bench/servers/recipe-server.ts',
} as const;
export type ServerKind = keyof typeof SERVER_ENTRIES;

/** A fan-out server process, its subscribers' target and how many subscribers it holds. */
export interface FanOutServer {
  label: string;
  kind: ServerKind;
  child: BenchChild;
  ready: FanOutServerReady;
  target: FanOutTarget;
  /** Subscribers connected so far, and of those, the ones still open and receiving (what it holds). */
  opened: number;
  subscribers: number;
}

export async function startFanOutServer(
  kind: ServerKind,
  options: { label?: string; env?: Record<string, string>; nodeArgs?: string[]; setup?: boolean } = {},
): Promise<FanOutServer> {
  const label = options.label ?? kind;
  const { child, ready } = await startBenchChild<FanOutServerReady>(label, SERVER_ENTRIES[kind], options);
  const target = options.setup === false ? { token: null, tenantId: '' } : await child.request<FanOutTarget>('setup');
  return { label, kind, child, ready, target, opened: 0, subscribers: 0 };
}

export function serverStats(server: FanOutServer, gc = false): Promise<ServerStats> {
  return server.child.request<ServerStats>('stats', { gc });
}

/** Run numbers: each measured run and each warm-up probe gets its own, so late events of one never count in another. */
let lastRun = 0;

/**
 * Adds subscribers up to `total`, then checks that every one of them receives: publishes one probe
 * event at a time until a single probe reached them all (subscriptions start asynchronously, so the
 * first probes may miss the newest ones). Returns how many subscribers the server holds.
 */
export async function growSubscribers(server: FanOutServer, clients: LoadClients, total: number): Promise<{ held: number; failed: string | null }> {
  const result = await clients.connect(server.label, server.ready, server.target, total - server.subscribers);
  server.opened += result.opened;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const run = ++lastRun;
    await clients.arm(server.label, run, 1);
    await server.child.request('publish', { run, count: 1, perSecond: 1 } satisfies PublishRequest);
    const probeDeadline = Date.now() + 3_000;
    let progress = await clients.progress(server.label);
    while (progress.reached < server.opened - progress.closed && Date.now() < probeDeadline) {
      await sleep(100);
      progress = await clients.progress(server.label);
    }
    server.subscribers = server.opened - progress.closed;
    if (progress.reached >= server.subscribers) return { held: server.subscribers, failed: result.firstError };
    if (Date.now() > deadline) {
      throw new Error(`${server.label}: only ${progress.reached} of ${server.subscribers} subscribers receive events after 90 s`);
    }
  }
}

export interface WindowFigures {
  expected: number;
  delivered: number;
  /** Latency percentiles, ms, over every expected delivery (an undelivered one counts as infinitely late). */
  p50: number;
  p99: number;
  serverCpuMicros: number;
  serverCpuMicrosPerMessage: number;
  /** Server CPU over the window, in cores (1 = one core busy all the time). */
  serverCores: number;
  clientCores: number;
  clientCpuMicrosPerMessage: number;
  duplicates: number;
  /** Events whose commit or publication failed (not expected by anyone). */
  failedPublishes: number;
  firstPublishError: string | null;
  closed: number;
  closeReasons: Record<string, number>;
  seconds: number;
}

export interface WindowOptions {
  perSecond: number;
  events: number;
  /** The process that commits or publishes (another instance for the cross-instance case); default `server`. */
  publisher?: BenchChild;
  /** Extra fields of the publish request (the tenant, for another instance). */
  publishExtra?: Record<string, unknown>;
  /** Longest wait after the last event was published for the deliveries still missing. */
  drainMs?: number;
}

/**
 * One measured run: `events` events at `perSecond` published by the server (or `publisher`), then
 * waits until every subscriber has them all, or no more arrive for 3 s, or `drainMs` passed. Server
 * CPU is the server process's own, from before the first event to the end of the wait.
 */
export async function measureWindow(server: FanOutServer, clients: LoadClients, options: WindowOptions): Promise<WindowFigures> {
  const { perSecond, events, drainMs = 15_000 } = options;
  const run = ++lastRun;
  await clients.arm(server.label, run, events);
  const serverBefore = await serverStats(server);
  const clientBefore = await clients.cpuMicros();
  const started = performance.now();
  const request = { run, count: events, perSecond, ...options.publishExtra } satisfies PublishRequest;
  const published = await (options.publisher ?? server.child).request<Published>('publish', request);
  const expected = server.subscribers * (events - published.failed);

  const drainDeadline = performance.now() + drainMs;
  let progress = await clients.progress(server.label);
  let lastChange = performance.now();
  while (progress.delivered < expected && performance.now() < drainDeadline && performance.now() - lastChange < 3_000) {
    await sleep(100);
    const next = await clients.progress(server.label);
    if (next.delivered !== progress.delivered) lastChange = performance.now();
    progress = next;
  }
  const serverAfter = await serverStats(server);
  const clientAfter = await clients.cpuMicros();
  const seconds = (performance.now() - started) / 1000;
  const collected = await clients.collect(server.label, published.existed);
  await untilQuiet(server);

  const sorted = collected.latencies.sort();
  const rank = (p: number) => Math.max(1, Math.ceil(p * expected));
  const at = (p: number) => (rank(p) <= sorted.length ? sorted[rank(p) - 1] : Number.POSITIVE_INFINITY);
  const delivered = collected.delivered;
  const serverCpu = serverAfter.cpuMicros - serverBefore.cpuMicros;
  const clientCpu = clientAfter - clientBefore;
  return {
    expected,
    delivered,
    p50: at(0.5),
    p99: at(0.99),
    serverCpuMicros: serverCpu,
    serverCpuMicrosPerMessage: serverCpu / Math.max(1, delivered),
    serverCores: serverCpu / 1e6 / seconds,
    clientCores: clientCpu / 1e6 / seconds,
    clientCpuMicrosPerMessage: clientCpu / Math.max(1, delivered),
    duplicates: collected.duplicates,
    failedPublishes: published.failed,
    firstPublishError: published.firstError,
    closed: collected.closed,
    closeReasons: collected.closeReasons,
    seconds,
  };
}

/**
 * Waits (at most 20 s) until the server uses under 10 % of a core, so that what a server that fell
 * behind still has queued is not billed to the next run.
 */
async function untilQuiet(server: FanOutServer): Promise<void> {
  const deadline = performance.now() + 20_000;
  let before = await serverStats(server);
  while (performance.now() < deadline) {
    await sleep(250);
    const after = await serverStats(server);
    if (after.cpuMicros - before.cpuMicros < 25_000) return;
    before = after;
  }
}

/** Closes subscribers of the server until `keep` remain (the clients close them and wait). */
export async function trimSubscribers(server: FanOutServer, clients: LoadClients, keep = 0): Promise<void> {
  const closed = await clients.close(server.label, keep);
  server.opened = keep === 0 ? 0 : server.opened - closed;
  server.subscribers = keep === 0 ? 0 : server.subscribers - closed;
}

/** Server memory after full GCs, bytes: RSS, and JS heap used + external. */
export interface MemoryFigures {
  rss: number;
  heap: number;
}

export async function settledMemory(server: FanOutServer): Promise<MemoryFigures> {
  const { rss, heap } = await serverStats(server, true);
  return { rss, heap };
}
