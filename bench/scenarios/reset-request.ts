import { gql, REGISTER } from '../../test/support/graphql-client';
import { startBenchHerald, type BenchHerald } from '../support/bench-herald';
import { sleep, waitUntil } from '../support/concurrency';
import type { Scenario, ScenarioResult } from '../support/scenario';
import { formatRatio, formatSpread, median, pairedRatios, percentile, spread } from '../support/stats';

const REQUEST_RESET = `mutation($email: String!) { requestPasswordReset(email: $email) }`;
/** Samples per kind of address per run. */
const SAMPLES = { quick: 15, full: 30 };
const WARM_UP = 5;
const PACE_MS = 40;
/** The answer must not tell the two apart: the medians within this much of each other. */
const TOLERANCE = 0.1;

/**
 * `requestPasswordReset` for an address with an account and one without, over HTTP, taking turns
 * sample by sample (which kind goes first alternates by run), each after the listeners are idle.
 * The two run the same code path by construction (a lookup, one transaction recording
 * `auth.password.reset_requested`; the email is queued afterwards by a listener); this measures
 * that the answer's timing does not tell an outsider which addresses have accounts.
 */
export const resetRequest: Scenario = {
  name: 'reset-request',
  async run(settings) {
    const samples = settings.quick ? SAMPLES.quick : SAMPLES.full;
    const bench = await startBenchHerald();
    try {
      // Each known address is asked for once per run (EMAIL_REQUESTS_PER_ADDRESS_PER_HOUR counts per address).
      const known = await accounts(bench, (samples + WARM_UP) * settings.runs);
      let unknownCount = 0;
      const unknown = () => `nobody-${process.pid}-${(unknownCount++).toString(36)}@example.com`;
      const idle = () => untilIdle(bench);
      const runs: { known: number[]; unknown: number[] }[] = [];
      for (let run = 0; run < settings.runs; run++) {
        const latencies = { known: [] as number[], unknown: [] as number[] };
        for (let i = 0; i < 2 * (samples + WARM_UP); i++) {
          const kind = (i + run) % 2 === 0 ? 'known' : 'unknown';
          const email = kind === 'known' ? known.pop()! : unknown();
          const started = performance.now();
          const response = await gql(bench.herald.url, REQUEST_RESET, { email });
          const ms = performance.now() - started;
          if (response.data?.requestPasswordReset !== true) throw new Error(`requestPasswordReset failed: ${response.text}`);
          if (i >= 2 * WARM_UP) latencies[kind].push(ms);
          await idle();
          await sleep(PACE_MS);
        }
        runs.push(latencies);
        process.stdout.write(
          `  reset-request run ${run + 1}/${settings.runs}: known ${median(latencies.known).toFixed(2)} ms, ` +
            `unknown ${median(latencies.unknown).toFixed(2)} ms\n`,
        );
      }
      return report(samples, runs);
    } finally {
      await bench.stop();
    }
  },
};

async function accounts(bench: BenchHerald, count: number): Promise<string[]> {
  const emails: string[] = [];
  for (let i = 0; i < count; i++) {
    const email = `reset-bench-${process.pid}-${i}@example.com`;
    const response = await gql(bench.herald.url, REGISTER, { input: { email, password: 'bench password 123', name: 'Bench' } });
    if (!response.data) throw new Error(`register failed: ${response.text}`);
    emails.push(email);
  }
  await untilIdle(bench);
  return emails;
}

/**
 * Until no delivery is open that is due within a few seconds: the reset email (due a second after
 * its request) included, the verification reminders of the accounts (due a day later) not. Every
 * sample, of either kind, starts from the same quiet.
 */
function untilIdle(bench: BenchHerald): Promise<void> {
  return waitUntil(async () => {
    const [row] = await bench.db.query<{ open: string }>(
      `SELECT count(*) AS open FROM deliveries WHERE status IN ('pending', 'running') AND due_at < now() + interval '5 seconds'`,
    );
    return Number(row.open) === 0;
  }, 'listeners to finish', { intervalMs: 5 });
}

function report(samples: number, runs: { known: number[]; unknown: number[] }[]): ScenarioResult {
  const medians = (kind: 'known' | 'unknown') => runs.map((r) => median(r[kind]));
  const p99s = (kind: 'known' | 'unknown') => runs.map((r) => percentile(r[kind], 0.99));
  const ratio = spread(pairedRatios(medians('unknown'), medians('known')));
  return {
    title: 'requestPasswordReset: an address with an account vs one without',
    description: [
      'Over HTTP, the two kinds of address taking turns sample by sample, each request after the listeners ' +
        'finished with the previous one (a known address gets its reset email queued a second after the answer: ' +
        'work started at once ran while the answer was still being written, and made it about 1.7 ms slower for ' +
        "known addresses). The answer is `true` for both; its timing must not tell them apart.",
    ],
    tables: [
      {
        title: 'Latency of the answer',
        columns: ['address', 'median', 'p99'],
        rows: [
          ['has an account', formatSpread(spread(medians('known')), 2, ' ms'), formatSpread(spread(p99s('known')), 2, ' ms')],
          ['has none', formatSpread(spread(medians('unknown')), 2, ' ms'), formatSpread(spread(p99s('unknown')), 2, ' ms')],
          ['none / account', formatRatio(ratio), formatRatio(spread(pairedRatios(p99s('unknown'), p99s('known'))))],
        ],
        notes: [`${samples} requests of each kind per run after ${WARM_UP} unmeasured ones, ${runs.length} runs.`],
      },
    ],
    targets: [
      {
        target: `requestPasswordReset answers an unknown address as fast as a known one (median within ±${TOLERANCE * 100} %)`,
        measured: formatRatio(ratio),
        met: Math.abs(ratio.median - 1) <= TOLERANCE,
      },
    ],
  };
}
