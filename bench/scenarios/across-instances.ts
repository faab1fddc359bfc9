import { createTestDatabase } from '../../test/support/database';
import { benchRedisPrefix } from '../support/bench-herald';
import { onCleanup } from '../support/cleanup';
import { alternating } from '../support/concurrency';
import { growSubscribers, measureWindow, startFanOutServer, type FanOutServer, type WindowFigures } from '../support/fan-out-rig';
import { LoadClients } from '../support/load-clients';
import type { Scenario, ScenarioResult } from '../support/scenario';
import { formatNumber, formatRatio, formatSpread, pairedRatios, spread } from '../support/stats';

const SUBSCRIBERS = 1_000;
const PER_SECOND = 10;
const PLANS = { quick: { runs: 1, seconds: 2 }, full: { runs: 5, seconds: 3 } };
const CLIENT_PROCESSES = 4;

interface Run {
  same: WindowFigures;
  across: WindowFigures;
}

/**
 * Two Herald processes on one database and one Redis (two instances of one deployment): events
 * committed on instance A reach subscribers on instance B. Measured against the same subscribers
 * receiving events committed on B itself, run by run.
 */
export const acrossInstances: Scenario = {
  name: 'across-instances',
  async run(settings) {
    const plan = settings.quick ? PLANS.quick : PLANS.full;
    const db = await createTestDatabase();
    const dropDatabase = onCleanup(() => db.drop());
    const env = { BENCH_DATABASE_URL: db.url, BENCH_REDIS_PREFIX: benchRedisPrefix() };
    const instances: FanOutServer[] = [];
    let clients: LoadClients | null = null;
    try {
      const b = await startFanOutServer('herald', { label: 'instance-b', env });
      instances.push(b);
      const a = await startFanOutServer('herald', { label: 'instance-a', env, setup: false });
      instances.push(a);
      clients = await LoadClients.start(CLIENT_PROCESSES);
      const { held } = await growSubscribers(b, clients, SUBSCRIBERS);
      const events = PER_SECOND * plan.seconds;
      const runs: Run[] = [];
      for (let run = 0; run < plan.runs; run++) {
        const [same, across] = await alternating(
          run,
          () => measureWindow(b, clients!, { perSecond: PER_SECOND, events }),
          () =>
            measureWindow(b, clients!, {
              perSecond: PER_SECOND,
              events,
              publisher: a.child,
              publishExtra: { tenantId: b.target.tenantId },
            }),
        );
        runs.push({ same, across });
        process.stdout.write(
          `  across-instances run ${run + 1}/${plan.runs}: one instance p50 ${formatNumber(same.p50)} / p99 ` +
            `${formatNumber(same.p99)} ms, across p50 ${formatNumber(across.p50)} / p99 ${formatNumber(across.p99)} ms\n`,
        );
      }
      return report(plan, held, events, runs);
    } finally {
      await clients?.stop();
      for (const instance of instances) await instance.child.stop();
      await dropDatabase();
    }
  },
};

function report(plan: (typeof PLANS)['full'], held: number, events: number, runs: Run[]): ScenarioResult {
  const column = (side: keyof Run, pick: (f: WindowFigures) => number) => runs.map((r) => pick(r[side]));
  const delivered = (f: WindowFigures) => (100 * f.delivered) / f.expected;
  const row = (name: string, side: keyof Run) => [
    name,
    formatSpread(spread(column(side, delivered)), 1, ' %'),
    formatSpread(spread(column(side, (f) => f.p50)), 1, ' ms'),
    formatSpread(spread(column(side, (f) => f.p99)), 1, ' ms'),
    formatSpread(spread(column(side, (f) => f.serverCpuMicrosPerMessage)), 1, ' µs'),
  ];
  const ratio = (pick: (f: WindowFigures) => number) => formatRatio(spread(pairedRatios(column('across', pick), column('same', pick))));
  return {
    title: 'Across instances: commit on instance A → subscriber on instance B',
    description: [
      `Two Herald processes (bench/servers/herald-server.ts) on one fresh database and one Redis channel prefix: ` +
        `${held} subscribers of one tenant's \`tenantEvents\` on instance B, spread over ${CLIENT_PROCESSES} load-client ` +
        `processes; ${events} events at ${PER_SECOND}/s committed through \`Herald.parts.transactions\` either on ` +
        `instance A (across) or on B itself (one instance), the two taking turns run by run (${plan.runs} runs, the ` +
        `first alternating). Latency from the commit's acknowledgement in the committing process to receipt; ` +
        `figures are medians (min–max). Instance A has no subscriber; B's stream reader is woken by A's Redis ` +
        `message exactly as by its own, then reads the store.`,
    ],
    tables: [
      {
        title: `${held} subscribers × ${PER_SECOND} events/s`,
        columns: ['committed on', 'delivered', 'p50', 'p99', "B's CPU per message"],
        rows: [
          row('B (one instance)', 'same'),
          row('A (across instances)', 'across'),
          ['across / one instance', ratio(delivered), ratio((f) => f.p50), ratio((f) => f.p99), ratio((f) => f.serverCpuMicrosPerMessage)],
        ],
        notes: ["B's CPU per message includes its commits in the one-instance rows only."],
      },
    ],
    targets: [],
  };
}
