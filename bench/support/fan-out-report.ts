import type { FanOutPlan } from '../scenarios/fan-out';
import type { MemoryFigures, ServerKind, WindowFigures } from './fan-out-rig';
import type { BenchSettings, ScenarioResult } from './scenario';
import { formatNumber, formatRatio, formatSpread, pairedRatios, spread, type Spread } from './stats';
import type { Table, TargetCheck } from './table';

/** One (subscribers, events/s) point of the grid: every run's figures of every server. */
export interface Cell {
  subscribers: number;
  /** Subscribers each server actually held. */
  held: Record<ServerKind, number>;
  rate: number;
  runs: Record<ServerKind, WindowFigures>[];
}

export interface FanOutFigures {
  cells: Cell[];
  /** Measured once, with the most subscribers, before any measured event. */
  memory: { subscribers: number; held: Record<ServerKind, number>; perConnection: Record<ServerKind, MemoryFigures> };
  /** Herald's CPU per committed event with no subscriber, µs, by events/s. */
  commitOnly: Record<number, number>;
  clientProcesses: number;
  /** Subscribers each server opened and closed before its memory baseline. */
  warmUpSubscribers: number;
  fdLimits: string;
}

const NAMES: Record<ServerKind, string> = { herald: 'Herald', floor: 'floor (`ws` broadcast)', recipe: 'Apollo recipe' };
const KINDS: ServerKind[] = ['herald', 'floor', 'recipe'];

export function fanOutReport(settings: BenchSettings, plan: FanOutPlan, figures: FanOutFigures): ScenarioResult {
  const { cells, memory } = figures;
  const column = (cell: Cell, kind: ServerKind, pick: (f: WindowFigures) => number) => cell.runs.map((r) => pick(r[kind]));
  const delivered = (f: WindowFigures) => (100 * f.delivered) / f.expected;
  const ratio = (cell: Cell, kind: ServerKind, pick: (f: WindowFigures) => number) =>
    spread(pairedRatios(column(cell, kind, pick), column(cell, 'floor', pick)));
  /** Herald's CPU per message without its commit path (measured with no subscriber, same rate and run). */
  const fanOutOnly = (cell: Cell) => (f: WindowFigures) =>
    f.serverCpuMicrosPerMessage - (figures.commitOnly[cell.rate] ?? 0) / cell.held.herald;
  const label = (cell: Cell, kind?: ServerKind) => `${kind ? cell.held[kind] : cell.subscribers} × ${cell.rate}/s`;

  const delivery: Table = {
    title: 'Delivery: commit → subscriber, CPU per delivered message',
    columns: [
      'subscribers × events/s',
      'server',
      'delivered',
      'p50',
      'p99',
      'server CPU per message',
      'fan-out only (Herald: less its commit path)',
      'server CPU',
      "clients' CPU",
    ],
    rows: cells.flatMap((cell) =>
      KINDS.map((kind) => [
        label(cell, kind),
        NAMES[kind],
        formatSpread(spread(column(cell, kind, delivered)), 1, ' %'),
        ms(spread(column(cell, kind, (f) => f.p50))),
        ms(spread(column(cell, kind, (f) => f.p99))),
        formatSpread(spread(column(cell, kind, (f) => f.serverCpuMicrosPerMessage)), 1, ' µs'),
        kind === 'herald' ? formatSpread(spread(column(cell, kind, fanOutOnly(cell))), 1, ' µs') : '—',
        formatSpread(spread(column(cell, kind, (f) => f.serverCores)), 2, ' cores'),
        formatSpread(spread(column(cell, kind, (f) => f.clientCores)), 2, ' cores'),
      ]),
    ),
    notes: [
      `Latency percentiles are over every expected delivery (subscribers × events); one that never arrived within ` +
        `the wait counts as infinitely late, shown as n/a when it reaches the percentile. "server CPU" and ` +
        `"clients' CPU" are in cores (1.00 = one core busy for the whole window, publishing and wait included); the ` +
        `clients are ${figures.clientProcesses} processes together.`,
      `Herald's CPU includes its commit path: with no subscriber at all it spends ` +
        Object.entries(figures.commitOnly)
          .map(([rate, micros]) => `${formatNumber(micros / 1000, 2)} ms per committed event at ${rate}/s`)
          .join(' and ') +
        ` (append, publish, the published_at mark, the listener runtime's wake-up), which the references do not do. ` +
        `"fan-out only" is Herald's CPU per message less that commit-path figure (same rate, same run) divided by ` +
        `the subscribers: what delivery alone costs, comparable with the references.`,
      ...closeNotes(cells),
    ],
  };

  const ratios: Table = {
    title: 'Ratios to the floor (each run paired, medians)',
    columns: [
      'subscribers × events/s',
      'CPU/msg Herald',
      'CPU/msg Herald, fan-out only',
      'CPU/msg recipe',
      'p99 Herald',
      'p99 recipe',
      'delivered Herald',
      'delivered recipe',
    ],
    rows: cells.map((cell) => [
      label(cell),
      formatRatio(ratio(cell, 'herald', (f) => f.serverCpuMicrosPerMessage)),
      formatRatio(spread(pairedRatios(column(cell, 'herald', fanOutOnly(cell)), column(cell, 'floor', (f) => f.serverCpuMicrosPerMessage)))),
      formatRatio(ratio(cell, 'recipe', (f) => f.serverCpuMicrosPerMessage)),
      formatRatio(ratio(cell, 'herald', (f) => f.p99)),
      formatRatio(ratio(cell, 'recipe', (f) => f.p99)),
      formatRatio(ratio(cell, 'herald', delivered)),
      formatRatio(ratio(cell, 'recipe', delivered)),
    ]),
    notes: ['Each figure is Herald or the recipe divided by the floor, measured in the same run, back to back.'],
  };

  const kib = (bytes: number) => `${formatNumber(bytes / 1024)} KiB`;
  const memoryRow = (name: string, key: keyof MemoryFigures) => {
    const of = (kind: ServerKind) => memory.perConnection[kind][key];
    return [name, ...KINDS.map((k) => kib(of(k))), `${(of('herald') / of('floor')).toFixed(2)}×`, `${(of('recipe') / of('floor')).toFixed(2)}×`];
  };
  const memoryTable: Table = {
    title: `Memory per idle subscribed connection (${memory.held.herald} subscribers)`,
    columns: ['figure', ...KINDS.map((k) => NAMES[k]), 'Herald / floor', 'recipe / floor'],
    rows: [
      memoryRow('server RSS', 'rss'),
      memoryRow('JS heap used + external', 'heap'),
    ],
    notes: [
      `Each figure with ${memory.held.herald} idle subscribed connections (Herald and the recipe: connection_init and ` +
        `one \`tenantEvents\` subscription each) minus the same figure before any subscriber, divided by the ` +
        `subscribers; read after three full GCs 300 ms apart. Measured once per run, on fresh server processes, ` +
        `before any measured event; each server had opened and closed ${figures.warmUpSubscribers} subscribers ` +
        `before its baseline, so code loaded on first use is not counted.`,
      `RSS also counts heap space V8 grew while thousands of connections opened and keeps afterwards, and malloc's ` +
        `arenas, which vary by several MiB from run to run: for the floor, whose connections are small, RSS per ` +
        `connection moved between 1.5 and 6 KiB over the runs of 2026-11-27 while its heap figure stayed at 2.4-2.6 KiB. ` +
        `The heap row is the steadier comparison of what each connection holds.`,
    ],
  };

  return {
    title: 'Fan-out: N subscribers of one tenant',
    description: description(settings, plan, figures),
    tables: [delivery, ratios, memoryTable],
    targets: targets(cells, memory, figures.commitOnly),
  };
}

function description(settings: BenchSettings, plan: FanOutPlan, figures: FanOutFigures): string[] {
  const windows = Object.entries(plan.seconds)
    .map(([rate, s]) => `${s} s at ${rate}/s`)
    .join(', ');
  return [
    `Three servers, each a process of its own on loopback, hold the same subscribers at once: **Herald** ` +
      `(\`src/server.ts\` on a fresh database, real PostgreSQL and Redis; subscribers run \`tenantEvents(tenantId)\` ` +
      `selecting every field of the event, as one tenant's OWNER over graphql-ws; each event is committed through ` +
      `\`Herald.parts.transactions\`, one transaction per event, in the server process); the **floor** ` +
      `(bench/servers/floor-server.ts: a plain \`ws\` server that serialises each event once and sends that string to ` +
      `every connection); **Apollo's recipe** (bench/servers/recipe-server.ts: Apollo Server 5, graphql-ws \`useServer\`, ` +
      `graphql-redis-subscriptions RedisPubSub on one channel, \`withFilter\` by tenant, JWT checked in \`onConnect\`).`,
    `The event is \`tenant.onboarding.completed\`, which no listener handles, so the server does nothing per event ` +
      `but deliver it (\`tenant.updated\` would also run the audit listener and record \`audit.action.performed\` on ` +
      `the same stream). Its payload carries the run and index of the event; each subscriber records when it ` +
      `received it. Latency is measured from when the event existed (Herald: its commit was acknowledged; the ` +
      `references: the call that publishes or broadcasts it) to receipt, clocks of one machine.`,
    `Subscribers are spread over ${figures.clientProcesses} load-client processes (bench/support/load-client.ts, ` +
      `graphql-transport-ws by hand over \`ws\`). Each measured run publishes ${windows} (an open loop), then waits ` +
      `for every delivery, or 3 s without one, or at most 15 s. ${plan.runs} run(s) per point, the server that goes ` +
      `first rotating; figures are medians (min–max). 5,000 × 100/s is not measured (500,000 messages/s; not ` +
      `within 2 cores even for the floor).${settings.quick ? ' Quick mode: one short run per point, for a look only.' : ''}`,
    `Open-files limits (raised to the hard limit with \`ulimit -n\` in the shell that starts each process): ${figures.fdLimits}. ` +
      `Herald runs with WS_MAX_CONNECTIONS_PER_USER=10000 (one user holds every subscriber) and the auth rate limits lifted.`,
  ];
}

function targets(cells: Cell[], memory: FanOutFigures['memory'], commitOnly: Record<number, number>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const slow = cells.filter((c) => c.rate === 10);
  const largest = slow.at(-1);
  if (largest) {
    const cpu = spread(pairedRatios(...pair(largest, (f) => f.serverCpuMicrosPerMessage)));
    const commitPerMessage = (commitOnly[largest.rate] ?? 0) / largest.held.herald;
    const [heraldCpu, floorCpu] = pair(largest, (f) => f.serverCpuMicrosPerMessage);
    const fanOutOnly = spread(pairedRatios(heraldCpu.map((micros) => micros - commitPerMessage), floorCpu));
    const p99 = spread(pairedRatios(...pair(largest, (f) => f.p99)));
    const deliveredPct = spread(largest.runs.map((r) => (100 * r.herald.delivered) / r.herald.expected));
    const at = `${largest.held.herald} × 10/s`;
    checks.push({ target: `fan-out CPU per delivered message ≤ 2× the floor (${at})`, measured: `${cpu.median.toFixed(2)}× (fan-out only: ${fanOutOnly.median.toFixed(2)}×)`, met: cpu.median <= 2 });
    checks.push({
      target: `5,000 subscribers × 10 events/s: 100 % delivered, p99 ≤ 2× the floor's p99 (measured at ${at})`,
      measured: `${formatNumber(deliveredPct.median)} % delivered, p99 ${p99.median.toFixed(2)}× the floor's`,
      met: largest.held.herald >= 5_000 && deliveredPct.min === 100 && p99.median <= 2,
    });
  }
  const per = memory.perConnection;
  const rssRatio = per.herald.rss / per.floor.rss;
  checks.push({
    target: `RSS per subscribed connection ≤ 1.5× the floor (${memory.held.herald} subscribers)`,
    measured:
      (per.floor.rss > 0 ? '' : "floor's RSS figure unusable (≤ 0), ") +
      `${rssRatio.toFixed(2)}× (${formatNumber(per.herald.rss / 1024)} vs ${formatNumber(per.floor.rss / 1024)} KiB); ` +
      `JS heap ${(per.herald.heap / per.floor.heap).toFixed(2)}×`,
    // A floor figure at or below zero (malloc arenas shrank) makes the ratio meaningless, not met.
    met: per.floor.rss > 0 && rssRatio <= 1.5,
  });
  return checks;
}

function pair(cell: Cell, pick: (f: WindowFigures) => number): [number[], number[]] {
  return [cell.runs.map((r) => pick(r.herald)), cell.runs.map((r) => pick(r.floor))];
}

function ms(value: Spread): string {
  return formatSpread(value, 1, ' ms');
}

function closeNotes(cells: Cell[]): string[] {
  const notes: string[] = [];
  for (const cell of cells) {
    for (const kind of KINDS) {
      const reasons: Record<string, number> = {};
      let duplicates = 0;
      let failed = 0;
      let firstError: string | null = null;
      for (const run of cell.runs) {
        duplicates += run[kind].duplicates;
        failed += run[kind].failedPublishes;
        firstError ??= run[kind].firstPublishError;
        for (const [reason, n] of Object.entries(run[kind].closeReasons)) reasons[reason] = Math.max(reasons[reason] ?? 0, n);
      }
      const listed = Object.entries(reasons).map(([reason, n]) => `${n} × "${reason}"`);
      if (duplicates) listed.push(`${duplicates} duplicate deliveries`);
      if (failed) listed.push(`${failed} events not committed or published (${firstError}), left out of the expected deliveries`);
      if (listed.length) notes.push(`${NAMES[kind]}, ${cell.subscribers} × ${cell.rate}/s: ${listed.join(', ')}.`);
    }
  }
  return notes;
}
