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
  /** Herald over SSE and over WebSocket, the same subscribers at 10/s, one transport after the other per run. */
  sse: { subscribers: number; held: { sse: number; ws: number }; runs: { sse: WindowFigures; ws: WindowFigures }[] };
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

  const sseRuns = figures.sse.runs;
  const sseColumn = (transport: 'sse' | 'ws', pick: (f: WindowFigures) => number) => sseRuns.map((r) => pick(r[transport]));
  const sseTable: Table = {
    title: `Server-Sent Events beside WebSocket (Herald, ${figures.sse.held.sse} × 10/s)`,
    columns: ['transport', 'delivered', 'p50', 'p99', 'server CPU per message', 'SSE / WebSocket'],
    rows: (['ws', 'sse'] as const).map((transport) => [
      transport === 'sse' ? 'graphql-sse, distinct connections (`/graphql/stream`)' : 'graphql-transport-ws (`/graphql`)',
      formatSpread(spread(sseColumn(transport, delivered)), 1, ' %'),
      ms(spread(sseColumn(transport, (f) => f.p50))),
      ms(spread(sseColumn(transport, (f) => f.p99))),
      formatSpread(spread(sseColumn(transport, (f) => f.serverCpuMicrosPerMessage)), 1, ' µs'),
      transport === 'sse'
        ? `CPU ${formatRatio(spread(pairedRatios(sseColumn('sse', (f) => f.serverCpuMicrosPerMessage), sseColumn('ws', (f) => f.serverCpuMicrosPerMessage))))}, ` +
          `p99 ${formatRatio(spread(pairedRatios(sseColumn('sse', (f) => f.p99), sseColumn('ws', (f) => f.p99))))}`
        : '—',
    ]),
    notes: [
      `The same Herald process, the same \`tenantEvents\` subscription, ${figures.sse.subscribers} subscribers over one transport at a ` +
        `time: each run opens them over SSE (one HTTP request each, read by hand in the load clients), measures, closes them, then ` +
        `the same over WebSocket. Server CPU per message includes the commit path, as in the table above.`,
    ],
  };

  return {
    title: 'Fan-out: N subscribers of one tenant',
    description: description(settings, plan, figures),
    tables: [delivery, ratios, memoryTable, sseTable],
    targets: targets(cells, memory, figures.commitOnly, figures.sse),
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

/** A per-connection memory difference at or below this is within the allocator's noise, KiB: not a measurement. */
const MEMORY_NOISE_KIB = 0.5;

function targets(cells: Cell[], memory: FanOutFigures['memory'], commitOnly: Record<number, number>, sse: FanOutFigures['sse']): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const cellAt = (subscribers: number, rate: number) => cells.find((c) => c.subscribers === subscribers && c.rate === rate);
  // Latency and delivery (issue 14): at 5,000 × 10/s and 1,000 × 100/s.
  for (const [subscribers, rate] of [[5_000, 10], [1_000, 100]] as const) {
    const cell = cellAt(subscribers, rate);
    if (!cell) continue;
    const p99 = spread(pairedRatios(...pair(cell, (f) => f.p99)));
    const deliveredPct = spread(cell.runs.map((r) => (100 * r.herald.delivered) / r.herald.expected));
    checks.push({
      target: `${formatNumber(subscribers, 0)} × ${rate}/s: 100 % delivered, p99 ≤ 2× the floor's`,
      measured: `${formatNumber(deliveredPct.min)} % delivered (worst run), p99 ${formatRatio(p99)} the floor's`,
      met: cell.held.herald >= subscribers && deliveredPct.min === 100 && p99.median <= 2,
    });
  }
  // Fan-out CPU per delivered message: Herald's less its commit path (measured with no subscriber), against the floor's.
  for (const subscribers of [1_000, 5_000]) {
    const cell = cellAt(subscribers, 10);
    if (!cell) continue;
    const commitPerMessage = (commitOnly[cell.rate] ?? 0) / cell.held.herald;
    const [heraldCpu, floorCpu] = pair(cell, (f) => f.serverCpuMicrosPerMessage);
    const fanOutOnly = spread(pairedRatios(heraldCpu.map((micros) => micros - commitPerMessage), floorCpu));
    const total = spread(pairedRatios(heraldCpu, floorCpu));
    checks.push({
      target: `fan-out CPU per delivered message ≤ 1.2× the floor (${formatNumber(subscribers, 0)} × 10/s)`,
      measured: `fan-out only ${formatRatio(fanOutOnly)}; with the commit path ${formatRatio(total)}`,
      met: fanOutOnly.median <= 1.2,
    });
  }
  // Memory: judged on the JS heap; RSS beside it, and neither is a measurement when it is noise-sized.
  const per = memory.perConnection;
  const kib = (bytes: number) => bytes / 1024;
  const measurable = (bytes: number) => kib(bytes) > MEMORY_NOISE_KIB;
  const heapMeasured = measurable(per.herald.heap) && measurable(per.floor.heap);
  const rssMeasured = measurable(per.herald.rss) && measurable(per.floor.rss);
  checks.push({
    target: `JS heap per idle subscribed connection ≤ 1.5× the floor's (${memory.held.herald} subscribers; RSS beside it)`,
    measured:
      (heapMeasured
        ? `heap ${(per.herald.heap / per.floor.heap).toFixed(2)}× (${formatNumber(kib(per.herald.heap))} vs ${formatNumber(kib(per.floor.heap))} KiB)`
        : `heap not measured (${formatNumber(kib(per.herald.heap))} vs ${formatNumber(kib(per.floor.heap))} KiB, at or below ${MEMORY_NOISE_KIB} KiB)`) +
      '; ' +
      (rssMeasured
        ? `RSS ${(per.herald.rss / per.floor.rss).toFixed(2)}× (${formatNumber(kib(per.herald.rss))} vs ${formatNumber(kib(per.floor.rss))} KiB)`
        : `RSS not measured (${formatNumber(kib(per.herald.rss))} vs ${formatNumber(kib(per.floor.rss))} KiB: noise)`),
    met: heapMeasured ? per.herald.heap / per.floor.heap <= 1.5 : 'not measured',
  });
  if (sse.runs.length > 0) {
    const deliveredPct = spread(sse.runs.map((r) => (100 * r.sse.delivered) / r.sse.expected));
    const cpu = spread(pairedRatios(sse.runs.map((r) => r.sse.serverCpuMicrosPerMessage), sse.runs.map((r) => r.ws.serverCpuMicrosPerMessage)));
    checks.push({
      target: `SSE: ${formatNumber(sse.subscribers, 0)} subscribers × 10/s delivered 100 %, CPU per message beside WebSocket's`,
      measured: `${formatNumber(deliveredPct.min)} % delivered (worst run); CPU per message ${formatRatio(cpu)} WebSocket's`,
      met: sse.held.sse >= sse.subscribers && deliveredPct.min === 100,
    });
  }
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
