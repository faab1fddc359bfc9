import { createTestDatabase } from '../../test/support/database';
import { benchRedisPrefix } from '../support/bench-herald';
import { onCleanup } from '../support/cleanup';
import {
  growSubscribers,
  measureWindow,
  settledMemory,
  type MemoryFigures,
  startFanOutServer,
  trimSubscribers,
  type FanOutServer,
  type ServerKind,
} from '../support/fan-out-rig';
import { fanOutReport, type Cell, type FanOutFigures } from '../support/fan-out-report';
import { LoadClients } from '../support/load-clients';
import type { Scenario } from '../support/scenario';
import { formatNumber } from '../support/stats';

/**
 * How much of the grid each mode measures. 5,000 subscribers × 100 events/s (500,000 messages a
 * second) is left out: on 2 cores not even the floor and its clients get near it.
 */
const PLANS = {
  quick: {
    stages: [
      { subscribers: 100, rates: [10, 100] },
      { subscribers: 1_000, rates: [10] },
    ],
    runs: 1,
    seconds: { 10: 2, 100: 1 } as Record<number, number>,
  },
  full: {
    stages: [
      { subscribers: 100, rates: [10, 100] },
      { subscribers: 1_000, rates: [10, 100] },
      { subscribers: 5_000, rates: [10] },
    ],
    runs: 3,
    seconds: { 10: 3, 100: 1.5 } as Record<number, number>,
  },
};
export type FanOutPlan = (typeof PLANS)['full'];

const SERVER_ORDER: ServerKind[] = ['herald', 'floor', 'recipe'];
/** Load-client processes: more than the cores, so one process's event loop never limits receipt. */
const CLIENT_PROCESSES = 4;
/** Subscribers opened and closed before the memory baseline, so that lazily loaded code is in it. */
const WARM_UP_SUBSCRIBERS = 20;
/** Herald's subscribers over Server-Sent Events, compared with as many over WebSocket, at 10 events/s. */
const SSE_SUBSCRIBERS = { quick: 200, full: 1_000 };

/**
 * N WebSocket subscribers to one tenant's `tenantEvents`, events at 10 and 100 per second: Herald
 * against the floor (plain `ws` broadcast) and Apollo's recipe, each a process of its own, the load
 * spread over CLIENT_PROCESSES other processes; plus the memory of an idle subscribed connection.
 */
export const fanOut: Scenario = {
  name: 'fan-out',
  async run(settings) {
    const plan = settings.quick ? PLANS.quick : PLANS.full;
    const db = await createTestDatabase();
    const dropDatabase = onCleanup(() => db.drop());
    const servers: FanOutServer[] = [];
    let clients: LoadClients | null = null;
    try {
      const env = { BENCH_DATABASE_URL: db.url, BENCH_REDIS_PREFIX: benchRedisPrefix() };
      for (const kind of SERVER_ORDER) servers.push(await startFanOutServer(kind, { env }));
      clients = await LoadClients.start(CLIENT_PROCESSES);
      const figures = await measureGrid(plan, servers, clients);
      return fanOutReport(settings, plan, figures);
    } finally {
      await clients?.stop();
      for (const server of servers) await server.child.stop();
      await dropDatabase();
    }
  },
};

async function measureGrid(plan: FanOutPlan, servers: FanOutServer[], clients: LoadClients): Promise<FanOutFigures> {
  const baseline = {} as Record<ServerKind, MemoryFigures>;
  for (const server of servers) {
    await growSubscribers(server, clients, WARM_UP_SUBSCRIBERS);
    await trimSubscribers(server, clients, 0);
    baseline[server.kind] = await settledMemory(server);
  }

  // Largest first: its memory is measured on fresh processes, before any measured event; the
  // smaller sizes then close subscribers, which is quick, where opening thousands is not.
  const stages = [...plan.stages].sort((a, b) => b.subscribers - a.subscribers);
  const cells: Cell[] = [];
  let memory: FanOutFigures['memory'] | null = null;
  for (const stage of stages) {
    const started = performance.now();
    const held = {} as Record<ServerKind, number>;
    const connectErrors: string[] = [];
    for (const server of servers) {
      if (server.subscribers > stage.subscribers) await trimSubscribers(server, clients, stage.subscribers);
      const grown = await growSubscribers(server, clients, stage.subscribers);
      held[server.kind] = grown.held;
      if (grown.failed) connectErrors.push(`${server.kind}: ${grown.failed}`);
    }
    process.stdout.write(
      `  fan-out: ${SERVER_ORDER.map((k) => `${k} holds ${held[k]}`).join(', ')} subscribers ` +
        `(${formatNumber((performance.now() - started) / 1000)} s)` +
        `${connectErrors.length ? `; connection errors: ${connectErrors.join('; ')}` : ''}\n`,
    );
    memory ??= await memoryPerConnection(servers, baseline, stage.subscribers, held);

    const stageCells = stage.rates.map((rate) => ({ subscribers: stage.subscribers, held, rate, runs: [] }) as Cell);
    cells.push(...stageCells);
    for (let run = 0; run < plan.runs; run++) {
      for (const cell of stageCells) await measureCell(plan, cell, run, servers, clients);
    }
  }

  for (const server of servers) await trimSubscribers(server, clients, 0);
  const herald = servers.find((s) => s.kind === 'herald')!;
  const sse = await measureSse(plan, herald, clients);

  // Herald's commit path alone (no subscriber left, so no stream reader): what its CPU per message includes besides fan-out.
  const commitOnly: Record<number, number> = {};
  for (const rate of new Set(plan.stages.flatMap((s) => s.rates))) {
    const events = Math.round(rate * plan.seconds[rate]);
    commitOnly[rate] = (await measureWindow(herald, clients, { perSecond: rate, events })).serverCpuMicros / events;
  }
  return {
    cells: cells.sort((a, b) => a.subscribers - b.subscribers || a.rate - b.rate),
    memory: memory!,
    commitOnly,
    sse,
    clientProcesses: clients.processes,
    warmUpSubscribers: WARM_UP_SUBSCRIBERS,
    fdLimits: fdLimits(servers, clients),
  };
}

/** One run of one cell: each server in turn, the one that goes first rotating by run, so a drift in load favours none. */
async function measureCell(plan: FanOutPlan, cell: Cell, run: number, servers: FanOutServer[], clients: LoadClients) {
  const events = Math.round(cell.rate * plan.seconds[cell.rate]);
  const figures = {} as Cell['runs'][number];
  for (let i = 0; i < servers.length; i++) {
    const server = servers[(i + run) % servers.length];
    figures[server.kind] = await measureWindow(server, clients, { perSecond: cell.rate, events });
  }
  cell.runs.push(figures);
  process.stdout.write(
    `  fan-out ${cell.subscribers} × ${cell.rate}/s run ${run + 1}/${plan.runs}: ` +
      SERVER_ORDER.map((k) => {
        const f = figures[k];
        const p99 = Number.isFinite(f.p99) ? `${formatNumber(f.p99)} ms` : 'lost';
        return `${k} ${formatNumber((100 * f.delivered) / f.expected)} % p99 ${p99} ${formatNumber(f.serverCpuMicrosPerMessage)} µs/msg`;
      }).join(', ') +
      '\n',
  );
}

/**
 * Herald over SSE beside Herald over WebSocket: the same number of subscribers of the same
 * subscription at 10 events/s, one transport at a time (each run opens one set, measures, closes
 * it, then the other), so neither pays for the other's deliveries and each pair meets the same noise.
 */
async function measureSse(plan: FanOutPlan, herald: FanOutServer, clients: LoadClients): Promise<FanOutFigures['sse']> {
  const subscribers = plan.runs === 1 ? SSE_SUBSCRIBERS.quick : SSE_SUBSCRIBERS.full;
  const overSse: FanOutServer = { ...herald, label: 'herald-sse', ready: { ...herald.ready, url: herald.ready.sseUrl!, protocol: 'sse' }, opened: 0, subscribers: 0 };
  const events = Math.round(10 * plan.seconds[10]);
  const runs: FanOutFigures['sse']['runs'] = [];
  const held = { sse: 0, ws: 0 };
  for (let run = 0; run < plan.runs; run++) {
    const pair = {} as FanOutFigures['sse']['runs'][number];
    for (const [transport, server] of [['sse', overSse], ['ws', herald]] as const) {
      held[transport] = (await growSubscribers(server, clients, subscribers)).held;
      pair[transport] = await measureWindow(server, clients, { perSecond: 10, events });
      await trimSubscribers(server, clients, 0);
    }
    runs.push(pair);
    process.stdout.write(
      `  fan-out SSE vs WebSocket ${subscribers} × 10/s run ${run + 1}/${plan.runs}: ` +
        (['sse', 'ws'] as const)
          .map((k) => `${k} ${formatNumber((100 * pair[k].delivered) / pair[k].expected)} % p99 ${formatNumber(pair[k].p99)} ms ${formatNumber(pair[k].serverCpuMicrosPerMessage)} µs/msg`)
          .join(', ') +
        '\n',
    );
  }
  return { subscribers, held, runs };
}

/** Server memory with `subscribers` idle subscribed connections, minus its baseline, per connection. */
async function memoryPerConnection(
  servers: FanOutServer[],
  baseline: Record<ServerKind, MemoryFigures>,
  subscribers: number,
  held: Record<ServerKind, number>,
): Promise<FanOutFigures['memory']> {
  const perConnection = {} as Record<ServerKind, MemoryFigures>;
  for (const server of servers) {
    const now = await settledMemory(server);
    const before = baseline[server.kind];
    const per = (key: keyof MemoryFigures) => (now[key] - before[key]) / server.subscribers;
    perConnection[server.kind] = { rss: per('rss'), heap: per('heap') };
  }
  process.stdout.write(
    `  fan-out memory per idle subscribed connection (RSS / heap): ` +
      `${SERVER_ORDER.map((k) => `${k} ${formatNumber(perConnection[k].rss / 1024)} / ${formatNumber(perConnection[k].heap / 1024)} KiB`).join(', ')}\n`,
  );
  return { subscribers, held, perConnection };
}

function fdLimits(servers: FanOutServer[], clients: LoadClients): string {
  return [...servers.map((s) => `${s.kind} ${s.ready.fdLimit}`), `load clients ${clients.fdLimit}`].join(', ');
}
