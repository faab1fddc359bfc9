import 'reflect-metadata';
import path from 'node:path';
import { POSTGRES_ADMIN_URL, REDIS_URL } from '../test/support/env';
import { acrossInstances } from './scenarios/across-instances';
import { fairness } from './scenarios/fairness';
import { fanOut } from './scenarios/fan-out';
import { loginFlood } from './scenarios/login-flood';
import { mutationOverhead } from './scenarios/mutation-overhead';
import { pipeline } from './scenarios/pipeline';
import { resetRequest } from './scenarios/reset-request';
import { webhooks } from './scenarios/webhooks';
import { cleanUpAll } from './support/cleanup';
import { machineInfo } from './support/machine';
import { renderResults, writeResults } from './support/report';
import type { BenchSettings, Scenario, ScenarioResult } from './support/scenario';

/** Every scenario, in the order they run. Add a new one here (one file per scenario). */
const SCENARIOS: Scenario[] = [pipeline, fairness, mutationOverhead, resetRequest, loginFlood, fanOut, acrossInstances, webhooks];

/**
 * The whole run may take this long; then it cleans up and fails rather than hang. A full run takes
 * 11-14 minutes on the project's loaded 2-core machine (fan-out about 5-7 of them, SSE included); on
 * 2026-12-03, with the reset-request scenario added and a load average of 8-12, 14 were not enough.
 */
const TIME_BOUND_MS = { quick: 4 * 60_000, full: 20 * 60_000 };
const RESULTS_FILE = path.resolve(__dirname, '..', 'docs', 'PERFORMANCE.md');

const USAGE = `npm run bench [-- --quick] [-- --only <scenario>[,<scenario>]]
  --quick   fewer and smaller runs (about two minutes), for a look rather than figures to keep
  --only    run these scenarios only (${SCENARIOS.map((s) => s.name).join(', ')}); docs/PERFORMANCE.md is not written
Talks to PostgreSQL at TEST_POSTGRES_URL and Redis at TEST_REDIS_URL (defaults: loopback, as the tests).`;

function parseArgs(argv: string[]): { quick: boolean; only: string[] | null } {
  let quick = false;
  let only: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only' && argv[i + 1]) only = argv[++i].split(',');
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length).split(',');
    else {
      process.stderr.write(`unknown argument ${arg}\n${USAGE}\n`);
      process.exit(64);
    }
  }
  const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}\n${USAGE}\n`);
    process.exit(64);
  }
  return { quick, only };
}

/** How this run was started, to print it in the results. */
function commandLine(argv: string[]): string {
  const args = argv.join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  return `tsx bench/run.ts${args ? ` ${args}` : ''}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { quick, only } = parseArgs(argv);
  const settings: BenchSettings = { quick, runs: quick ? 3 : 5 };
  const bound = quick ? TIME_BOUND_MS.quick : TIME_BOUND_MS.full;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${bound / 1000} s; giving up\n`);
    void cleanUpAll().finally(() => process.exit(2));
  }, bound);
  process.once('SIGINT', () => void cleanUpAll().finally(() => process.exit(130)));

  const started = performance.now();
  const date = new Date();
  const machine = await machineInfo(POSTGRES_ADMIN_URL, REDIS_URL);
  process.stdout.write(
    `Herald bench (${quick ? 'quick' : 'full'}): ${machine.cores} cores, load ${machine.loadAverage.toFixed(2)}, ` +
      `PostgreSQL ${machine.postgres}, Redis ${machine.redis}\n`,
  );
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
      process.stdout.write(`\n== ${scenario.name}\n`);
      results.push(await scenario.run(settings));
    }
  } finally {
    await cleanUpAll();
    clearTimeout(watchdog);
  }

  const info = { date, command: commandLine(argv), machine, durationSeconds: (performance.now() - started) / 1000 };
  const text = renderResults(info, results);
  process.stdout.write(`\n${text}\n`);
  if (only) {
    process.stdout.write(`\n(--only: ${path.relative(process.cwd(), RESULTS_FILE)} left as it was)\n`);
  } else {
    await writeResults(RESULTS_FILE, text);
    process.stdout.write(`\nWritten to ${path.relative(process.cwd(), RESULTS_FILE)}\n`);
  }
}

main().then(
  () => process.exit(0),
  async (error) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
    await cleanUpAll();
    process.exit(1);
  },
);
