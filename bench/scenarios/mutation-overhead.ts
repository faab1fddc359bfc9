import {
  refreshOverHttp,
  refreshThroughService,
  registerOverHttp,
  registerThroughService,
  signUp,
  type Mutation,
} from '../support/auth-mutations';
import { heraldStack, unrecordedStack, type Stack } from '../support/auth-stacks';
import { startBenchHerald, type BenchHerald } from '../support/bench-herald';
import { alternating, sleep, waitUntil } from '../support/concurrency';
import type { BenchSettings, Scenario, ScenarioResult } from '../support/scenario';
import { formatRatio, formatSpread, median, pairedRatios, percentile, spread } from '../support/stats';
import type { TargetCheck } from '../support/table';
import { UNFINISHED } from '../../test/support/deliveries';

/** Samples per variant per run. */
const SAMPLES = { quick: 25, full: 100 };
const WARM_UP = 10;
/** Paced cases start a mutation at most this often, and only once the listeners are idle. */
const PACE_PER_SECOND = 25;

interface Case {
  name: string;
  layer: 'service' | 'HTTP';
  events: string;
  /** Paced: the variants take turns sample by sample. Back to back: each variant runs a block. */
  paced: boolean;
  mutation: Mutation;
}

const ONE_EVENT = '1 (`auth.token.refreshed`)';
const THREE_EVENTS = '3 (`user.registered`, `user.login`, `auth.token.created`)';
const CASES: Case[] = [
  { name: 'refreshToken', layer: 'service', events: ONE_EVENT, paced: true, mutation: refreshThroughService },
  { name: 'register', layer: 'service', events: THREE_EVENTS, paced: true, mutation: registerThroughService },
  { name: 'refreshToken', layer: 'HTTP', events: ONE_EVENT, paced: true, mutation: refreshOverHttp },
  { name: 'register', layer: 'HTTP', events: THREE_EVENTS, paced: true, mutation: registerOverHttp },
  { name: 'refreshToken', layer: 'HTTP', events: ONE_EVENT, paced: false, mutation: refreshOverHttp },
];

interface CaseRun {
  withMedian: number;
  withP99: number;
  withoutMedian: number;
  withoutP99: number;
}

/**
 * A mutation's latency with event recording (Herald as it runs) against the identical write
 * without it (same code, an event store that appends nothing), at the service layer and over HTTP.
 */
export const mutationOverhead: Scenario = {
  name: 'mutation-overhead',
  async run(settings) {
    const samples = settings.quick ? SAMPLES.quick : SAMPLES.full;
    const bench = await startBenchHerald();
    const unrecorded = await unrecordedStack(bench);
    try {
      const stacks: [Stack, Stack] = [heraldStack(bench), unrecorded];
      const idle = () => untilListenersIdle(bench);
      for (const stack of stacks) await signUp(stack);
      // Unmeasured: compiles the code paths and fills the caches of both stacks.
      for (const testCase of CASES) for (const stack of stacks) await backToBack(testCase.mutation, stack, WARM_UP, idle);

      const runs = CASES.map((): CaseRun[] => []);
      for (let run = 0; run < settings.runs; run++) {
        for (const [i, testCase] of CASES.entries()) {
          const [withRecording, without] = testCase.paced
            ? await takingTurns(testCase.mutation, stacks, samples, run, idle)
            : await alternating(
                run,
                () => backToBack(testCase.mutation, stacks[0], samples, idle),
                () => backToBack(testCase.mutation, stacks[1], samples, idle),
              );
          runs[i].push({
            withMedian: median(withRecording),
            withP99: percentile(withRecording, 0.99),
            withoutMedian: median(without),
            withoutP99: percentile(without, 0.99),
          });
        }
        process.stdout.write(
          `  mutation-overhead run ${run + 1}/${settings.runs}: ` +
            CASES.map((c, i) => `${label(c)} ×${(runs[i][run].withMedian / runs[i][run].withoutMedian).toFixed(2)}`).join(', ') +
            '\n',
        );
      }
      return report(settings, samples, runs);
    } finally {
      await unrecorded.stop();
      await bench.stop();
    }
  },
};

/**
 * `samples` mutations per stack, the stacks taking turns (which goes first alternates by run), at
 * most PACE_PER_SECOND, each starting once the listeners have handled the previous one's events:
 * both variants meet the same noise, and neither pays for the other's events.
 */
async function takingTurns(
  mutation: Mutation,
  stacks: [Stack, Stack],
  samples: number,
  run: number,
  idle: () => Promise<void>,
): Promise<[number[], number[]]> {
  const latencies: [number[], number[]] = [[], []];
  let next = performance.now();
  for (let i = 0; i < 2 * samples; i++) {
    const variant = (i + run) % 2;
    await sleep(next - performance.now());
    const started = performance.now();
    await mutation(stacks[variant]);
    latencies[variant].push(performance.now() - started);
    next = started + 1000 / PACE_PER_SECOND;
    await idle();
  }
  return latencies;
}

/** `samples` mutations back to back on one stack, then waits for the listeners to finish. */
async function backToBack(mutation: Mutation, stack: Stack, samples: number, idle: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await mutation(stack);
    latencies.push(performance.now() - started);
  }
  await idle();
  return latencies;
}

function untilListenersIdle(bench: BenchHerald): Promise<void> {
  return waitUntil(
    async () => {
      const [row] = await bench.db.query<{ open: string }>(
        `SELECT count(*) AS open FROM deliveries WHERE ${UNFINISHED}`,
      );
      return Number(row.open) === 0;
    },
    'listeners to finish',
    { intervalMs: 5 },
  );
}

function label(testCase: Case): string {
  return `${testCase.name} (${testCase.layer}, ${testCase.paced ? 'paced' : 'back to back'})`;
}

function report(settings: BenchSettings, samples: number, runs: CaseRun[][]): ScenarioResult {
  const targets: TargetCheck[] = [];
  const rows = CASES.map((testCase, i) => {
    const column = (key: keyof CaseRun) => runs[i].map((r) => r[key]);
    const ratio = spread(pairedRatios(column('withMedian'), column('withoutMedian')));
    const ms = (key: keyof CaseRun) => formatSpread(spread(column(key)), 2, ' ms');
    if (testCase.layer === 'HTTP' && testCase.paced) {
      targets.push({
        target: `event recording adds ≤ 15 % to a mutation's median latency (${testCase.name}, HTTP)`,
        measured: `${formatSigned((ratio.median - 1) * 100)} %`,
        met: ratio.median <= 1.15,
      });
    }
    return [
      label(testCase),
      testCase.events,
      ms('withoutMedian'),
      ms('withMedian'),
      formatRatio(ratio),
      ms('withoutP99'),
      ms('withP99'),
      formatRatio(spread(pairedRatios(column('withP99'), column('withoutP99')))),
    ];
  });
  return {
    title: 'Mutation overhead: with vs without event recording',
    description: [
      `**With**: Herald as it runs (in this process, real PostgreSQL and Redis): its services record the ` +
        `mutation's events in the mutation's transaction (advisory lock, event rows, delivery rows), publish them ` +
        `after the commit, and its listeners (audit, metrics, welcome email written to files) handle them. ` +
        `**Without**: the same services, resolvers and HTTP stack built from the same code on the same database ` +
        `and event loop, whose event store appends nothing; the domain writes are identical, only the events differ.`,
      `\`refreshToken\` is a cheap write (a session row lock, one update, one insert); \`register\` hashes the ` +
        `password with PASSWORD_HASH_COST=low scrypt (N=2^10; the production cost would hide the difference) and ` +
        `inserts a user, a session and a refresh token. Service layer: \`AuthService\` called directly. HTTP: ` +
        `\`POST /graphql\` over loopback with \`fetch\` (keep-alive), client and server in this process.`,
      `**Paced** rows (the target's): one mutation at a time, at most ${PACE_PER_SECOND}/s, the two variants ` +
        `taking turns sample by sample, each starting once the listeners are idle, so both meet the same noise and ` +
        `neither pays for the other's events; a "with" sample includes whatever its own events' listeners take from ` +
        `it while it finishes. **Back to back**: each variant runs a block of mutations without pause, so the ` +
        `listeners' work for earlier mutations competes with the next ones.`,
    ],
    tables: [
      {
        title: 'Latency with and without event recording',
        columns: ['mutation', 'events', 'median without', 'median with', 'with / without', 'p99 without', 'p99 with', 'p99 with / without'],
        rows,
        notes: [
          `${samples} mutations per variant per run after ${WARM_UP} unmeasured ones, ${settings.runs} runs; ` +
            `figures are medians over runs (min–max), ratios the median of the per-run ratios. A run's p99 is its ` +
            `${slowest(samples - Math.ceil(0.99 * samples) + 1)} sample.`,
        ],
      },
    ],
    targets,
  };
}

/** `1` → `slowest`, `2` → `2nd slowest`. */
function slowest(rank: number): string {
  return rank === 1 ? 'slowest' : `${rank}${rank === 2 ? 'nd' : rank === 3 ? 'rd' : 'th'} slowest`;
}

function formatSigned(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}
