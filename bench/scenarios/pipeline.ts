import { Pool } from 'pg';
import { startBenchHerald, type BenchHerald } from '../support/bench-herald';
import { alternating } from '../support/concurrency';
import { BENCH_EVENT, EFFECT_TABLE_SQL, EffectRecorder, effectListeners } from '../support/effect-listeners';
import { CONCURRENCY, MAX_BACKLOG, PLAIN_TABLE_SQL, PipelinePhases } from '../support/pipeline-phases';
import type { BenchSettings, Scenario, ScenarioResult } from '../support/scenario';
import { formatNumber, formatRatio, formatSpread, pairedRatios, spread } from '../support/stats';
import { NOT_DONE } from '../../test/support/deliveries';

const LISTENERS = 5;
/** Arrival rate of the delay phase: well below capacity, so delays are the pipeline's, not a queue's. */
const PACED_PER_SECOND = 50;

const SIZES = {
  quick: { burstSeconds: 2, pacedEvents: 75, warmUpSeconds: 1 },
  full: { burstSeconds: 4, pacedEvents: 150, warmUpSeconds: 2 },
};
type Sizes = (typeof SIZES)['full'];

type Phase<K extends keyof PipelinePhases> = Awaited<ReturnType<PipelinePhases[K]>>;
type RunFigures = Phase<'heraldBurst'> &
  Phase<'plainBurst'> &
  Phase<'commitPathBurst'> &
  Phase<'heraldPaced'> &
  Phase<'plainPaced'>;

/**
 * Events per second from commit to 5 listeners done, against plain write transactions per second
 * on the same database; and the delay from commit to a listener starting.
 */
export const pipeline: Scenario = {
  name: 'pipeline',
  async run(settings) {
    const sizes = settings.quick ? SIZES.quick : SIZES.full;
    const recorder = new EffectRecorder(LISTENERS);
    const bench = await startBenchHerald({ extraListeners: effectListeners(LISTENERS, recorder) });
    const pool = new Pool({ connectionString: bench.db.url, max: CONCURRENCY, application_name: 'herald-bench:plain' });
    try {
      await bench.db.query(EFFECT_TABLE_SQL);
      await bench.db.query(PLAIN_TABLE_SQL);
      const { dataSource, transactions } = bench.herald.parts;
      const phases = new PipelinePhases(dataSource, transactions, recorder, pool);

      await phases.heraldBurst(sizes.warmUpSeconds);
      await phases.plainBurst(sizes.warmUpSeconds);
      const runs: RunFigures[] = [];
      for (let run = 0; run < settings.runs; run++) {
        const [herald, plain] = await alternating(
          run,
          () => phases.heraldBurst(sizes.burstSeconds),
          () => phases.plainBurst(sizes.burstSeconds),
        );
        const commitPath = await phases.commitPathBurst(sizes.burstSeconds);
        const paced = await phases.heraldPaced(PACED_PER_SECOND, sizes.pacedEvents);
        const plainPaced = await phases.plainPaced(PACED_PER_SECOND, sizes.pacedEvents);
        runs.push({ ...herald, ...plain, ...commitPath, ...paced, ...plainPaced });
        process.stdout.write(
          `  pipeline run ${run + 1}/${settings.runs}: ${formatNumber(herald.heraldEventsPerSecond)} events/s, ` +
            `${formatNumber(plain.plainTxPerSecond)} plain tx/s, ${formatNumber(commitPath.commitPathPerSecond)} commits/s ` +
            `alone, start p50 ${formatNumber(paced.startP50)} ms\n`,
        );
      }
      return report(settings, sizes, runs, await checkExactlyOnce(bench, recorder.runsStarted));
    } finally {
      await pool.end();
      await bench.stop();
    }
  },
};

/**
 * Every bench event's delivery to each bench listener is done, its effect is there once, no other
 * listener got the event, and no handler ran twice.
 */
async function checkExactlyOnce(bench: BenchHerald, runsStarted: number): Promise<string> {
  const [row] = await bench.db.query<{ events: string; deliveries: string; effects: string; open: string; others: string }>(
    `SELECT count(DISTINCT d.event_id) AS events, count(*) AS deliveries,
            (SELECT count(*) FROM bench_effects) AS effects,
            (SELECT count(*) FROM deliveries WHERE ${NOT_DONE}) AS open,
            (SELECT count(*) FROM deliveries o JOIN events e ON e.id = o.event_id
              WHERE e.name = $1 AND o.listener NOT LIKE 'bench-%') AS others
     FROM deliveries d WHERE d.listener LIKE 'bench-effect-%'`,
    [BENCH_EVENT],
  );
  const [events, deliveries, effects] = [Number(row.events), Number(row.deliveries), Number(row.effects)];
  const figures =
    `${events} events, ${deliveries} deliveries to the ${LISTENERS} listeners, ${effects} effects, ` +
    `${runsStarted} handler runs, ${row.open} deliveries not done, ${row.others} deliveries to other listeners`;
  const ok =
    deliveries === events * LISTENERS &&
    effects === deliveries &&
    runsStarted === deliveries &&
    Number(row.open) === 0 &&
    Number(row.others) === 0;
  if (!ok) throw new Error(`pipeline: exactly-once check failed: ${figures}`);
  return figures;
}

function report(settings: BenchSettings, sizes: Sizes, runs: RunFigures[], check: string): ScenarioResult {
  const column = <K extends keyof RunFigures>(key: K) => runs.map((r) => r[key]);
  const perSecond = (key: keyof RunFigures) => formatSpread(spread(column(key)));
  const ms = (key: keyof RunFigures, digits = 1) => formatSpread(spread(column(key)), digits, ' ms');
  const ratio = (a: keyof RunFigures, b: keyof RunFigures) => spread(pairedRatios(column(a), column(b)));
  const throughput = ratio('heraldEventsPerSecond', 'plainTxPerSecond');
  return {
    title: 'Event pipeline: commit → 5 listeners done',
    description: [
      `Herald (in this process, real PostgreSQL and Redis, the listener runtime's production defaults: ` +
        `32 handlers at once, completions committed in batches, 1 s fallback poll) commits \`${BENCH_EVENT}\` events through \`Transactions.run\`, ` +
        `one event per transaction and nothing else in it, ${CONCURRENCY} committers at once. ${LISTENERS} bench-only ` +
        `listeners (bench/support/effect-listeners.ts) handle each event; each inserts one row keyed by the event id ` +
        `through \`ctx.complete\`, so its write and its delivery's completion commit together.`,
      `Reference, same database, same run: pgbench-like plain write transactions through \`pg\` ` +
        `(BEGIN; INSERT of one row into a copy of the events table, with its identity and indexes; COMMIT), ` +
        `${CONCURRENCY} clients.`,
      `Throughput: committers run for ${sizes.burstSeconds} s, holding back while ${MAX_BACKLOG} committed events ` +
        `are not done (so the figure is what the pipeline sustains, not how fast a backlog grows); timed from the ` +
        `first commit to the last listener done. The reference runs ${sizes.burstSeconds} s. Delay: ` +
        `${sizes.pacedEvents} events at ${PACED_PER_SECOND}/s (open loop), from the commit's acknowledgement in ` +
        `this process to each handler starting. ${settings.runs} runs, each Herald/reference pair back to back in ` +
        `alternating order; figures are medians (min–max over runs), ratios the median of the per-run ratios. ` +
        `Exactly-once check after the runs: ${check}.`,
    ],
    tables: [
      {
        title: 'Throughput',
        columns: ['figure', 'Herald', 'plain write tx', 'Herald / plain'],
        rows: [
          [
            'events/s, commit → 5 listeners done',
            perSecond('heraldEventsPerSecond'),
            perSecond('plainTxPerSecond'),
            formatRatio(throughput),
          ],
          [
            'commits/s of the commit path alone (event + 5 delivery rows, no listener running)',
            perSecond('commitPathPerSecond'),
            perSecond('plainTxPerSecond'),
            formatRatio(ratio('commitPathPerSecond', 'plainTxPerSecond')),
          ],
          [
            'CPU of this process per event / per tx',
            ms('heraldCpuMsPerEvent', 2),
            ms('plainCpuMsPerTx', 2),
            formatRatio(ratio('heraldCpuMsPerEvent', 'plainCpuMsPerTx')),
          ],
        ],
        notes: [
          'This process is Herald (committers, publisher, listener runtime) or the plain `pg` client; ' +
            'PostgreSQL and Redis share the same cores.',
        ],
      },
      {
        title: `Delay from commit (${PACED_PER_SECOND} events/s)`,
        columns: ['figure', 'p50', 'p99'],
        rows: [
          ['commit → a listener starts', ms('startP50'), ms('startP99')],
          ['commit → all 5 listeners done', ms('doneP50'), ms('doneP99')],
          ['reference: one plain write tx, BEGIN → COMMIT acknowledged', ms('plainTxP50'), ms('plainTxP99')],
          ['under full load (throughput burst) commit → a listener starts', ms('burstStartP50'), ms('burstStartP99')],
        ],
        notes: [`The last row includes waiting behind up to ${MAX_BACKLOG} events' deliveries.`],
      },
    ],
    targets: [
      {
        target: 'pipeline events/s ≥ 50 % of plain write tx/s',
        measured: `${Math.round(throughput.median * 100)} %`,
        met: throughput.median >= 0.5,
      },
    ],
  };
}
