import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { startBenchHerald } from '../support/bench-herald';
import { sleep, withTimeout } from '../support/concurrency';
import { EFFECT_TABLE_SQL, EffectRecorder, effectListeners } from '../support/effect-listeners';
import { CONCURRENCY, PLAIN_TABLE_SQL, PipelinePhases } from '../support/pipeline-phases';
import type { BenchSettings, Scenario, ScenarioResult } from '../support/scenario';
import { formatNumber, formatRatio, formatSpread, pairedRatios, percentile, spread } from '../support/stats';

/** Listeners per event: one, so that a 20,000-event burst drains within a minute or so here. */
const LISTENERS = 1;
const B_PER_SECOND = 10;
const SIZES = {
  quick: { burst: 2_000, aloneSeconds: 5, runs: 1 },
  full: { burst: 20_000, aloneSeconds: 10, runs: 2 },
};

interface RunFigures {
  bAloneP50: number;
  bAloneP99: number;
  bWithP50: number;
  bWithP99: number;
  aAlonePerSecond: number;
  aWithPerSecond: number;
  bEventsWith: number;
}

/**
 * Fairness between tenants: tenant A commits a burst while tenant B commits 10 events a second.
 * B's delay from commit to its listeners done, with A's burst under way against B alone; and A's
 * throughput with B against A alone.
 */
export const fairness: Scenario = {
  name: 'fairness',
  async run(settings) {
    const sizes = settings.quick ? SIZES.quick : SIZES.full;
    const recorder = new EffectRecorder(LISTENERS);
    const bench = await startBenchHerald({ extraListeners: effectListeners(LISTENERS, recorder) });
    const pool = new Pool({ connectionString: bench.db.url, max: 1 });
    try {
      await bench.db.query(EFFECT_TABLE_SQL);
      await bench.db.query(PLAIN_TABLE_SQL);
      const { dataSource, transactions } = bench.herald.parts;
      const phases = new PipelinePhases(dataSource, transactions, recorder, pool);
      const tenantA = uuidv7();
      const tenantB = uuidv7();
      const isB = (key: string) => key.startsWith('B:');

      /** B's events at 10/s until `until` resolves (or for `seconds`); resolves when they are all done. */
      const paceB = async (stop: () => boolean) => {
        let committed = 0;
        const started = performance.now();
        const commits: Promise<string>[] = [];
        while (!stop()) {
          commits.push(phases.commitEvent(transactions, tenantB, 'B:'));
          committed++;
          await sleep(Math.max(0, started + (committed * 1000) / B_PER_SECOND - performance.now()));
        }
        await Promise.all(commits);
        return committed;
      };
      /** A's burst: `events` committed by 8 committers as fast as they go, then until all are done. */
      const burstA = async () => {
        let next = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next++ < sizes.burst) await phases.commitEvent(transactions, tenantA, 'A:');
          }),
        );
        await withTimeout(recorder.eventsDone(sizes.burst), 600_000, `A's ${sizes.burst} events to be handled`);
        return sizes.burst / ((performance.now() - started) / 1000);
      };

      const runs: RunFigures[] = [];
      for (let run = 0; run < sizes.runs; run++) {
        recorder.reset();
        const deadline = performance.now() + sizes.aloneSeconds * 1000;
        const bAlone = await paceB(() => performance.now() >= deadline);
        await withTimeout(recorder.eventsDone(bAlone), 60_000, "B's events to be handled");
        const alone = recorder.completionDelays(isB);

        recorder.reset();
        const aAlonePerSecond = await burstA();

        recorder.reset();
        let aDone = false;
        const [aWithPerSecond, bWith] = await Promise.all([
          burstA().finally(() => (aDone = true)),
          paceB(() => aDone),
        ]);
        await withTimeout(recorder.eventsDone(sizes.burst + bWith), 60_000, "B's events to be handled");
        const withA = recorder.completionDelays(isB);
        runs.push({
          bAloneP50: percentile(alone, 0.5),
          bAloneP99: percentile(alone, 0.99),
          bWithP50: percentile(withA, 0.5),
          bWithP99: percentile(withA, 0.99),
          aAlonePerSecond,
          aWithPerSecond,
          bEventsWith: bWith,
        });
        process.stdout.write(
          `  fairness run ${run + 1}/${sizes.runs}: B p99 ${formatNumber(percentile(alone, 0.99))} ms alone, ` +
            `${formatNumber(percentile(withA, 0.99))} ms during A's burst; A ${formatNumber(aAlonePerSecond)} events/s alone, ` +
            `${formatNumber(aWithPerSecond)} with B\n`,
        );
      }
      return report(settings, sizes, runs);
    } finally {
      await pool.end();
      await bench.stop();
    }
  },
};

function report(_settings: BenchSettings, sizes: (typeof SIZES)['full'], runs: RunFigures[]): ScenarioResult {
  const column = <K extends keyof RunFigures>(key: K) => runs.map((r) => r[key]);
  const ms = (key: keyof RunFigures) => formatSpread(spread(column(key)), 1, ' ms');
  const ratio = (a: keyof RunFigures, b: keyof RunFigures) => spread(pairedRatios(column(a), column(b)));
  const bRatio = ratio('bWithP99', 'bAloneP99');
  const aRatio = ratio('aWithPerSecond', 'aAlonePerSecond');
  return {
    title: `Fairness: tenant A's burst of ${sizes.burst.toLocaleString('en-US')} events, tenant B at ${B_PER_SECOND}/s`,
    description: [
      `Herald in this process (the listener runtime's production defaults: 32 runs at once, claims taking turns ` +
        `between tenants, ${'`LISTENER_TENANT_CONCURRENCY`'} 16), ${LISTENERS} bench listener per event (an insert through ` +
        '`ctx.complete`). Tenant A commits its burst through 8 committers as fast as they go, no back-pressure, so its ' +
        `backlog grows to thousands of deliveries; tenant B commits ${B_PER_SECOND} events a second (open loop) for ` +
        `${sizes.aloneSeconds} s alone, then all through A's burst. B's figure is commit → its listener done; A's is ` +
        `events per second from its first commit to its last listener done, alone and with B. ${runs.length} run(s); ` +
        'figures are medians (min–max), ratios the median of the per-run ratios.',
    ],
    tables: [
      {
        title: 'Tenant B while tenant A bursts',
        columns: ['figure', 'alone', `during A's burst`, 'during / alone'],
        rows: [
          ["B: commit → listener done, p50", ms('bAloneP50'), ms('bWithP50'), formatRatio(ratio('bWithP50', 'bAloneP50'))],
          ["B: commit → listener done, p99", ms('bAloneP99'), ms('bWithP99'), formatRatio(bRatio)],
          [
            "A: events/s, first commit → last listener done",
            formatSpread(spread(column('aAlonePerSecond'))),
            formatSpread(spread(column('aWithPerSecond'))),
            formatRatio(aRatio),
          ],
        ],
        notes: [`B committed ${formatSpread(spread(column('bEventsWith')), 0)} events during A's burst.`],
      },
    ],
    targets: [
      { target: "fairness: B's p99 during A's burst ≤ 2× B alone", measured: `${bRatio.median.toFixed(2)}×`, met: bRatio.median <= 2 },
      { target: "fairness: A's burst ≥ 0.8× its throughput alone", measured: `${aRatio.median.toFixed(2)}×`, met: aRatio.median >= 0.8 },
    ],
  };
}
