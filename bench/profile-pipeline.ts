import 'reflect-metadata';
import { Session } from 'node:inspector/promises';
import { Client } from 'pg';
import { Pool } from 'pg';
import { startBenchHerald } from './support/bench-herald';
import { cleanUpAll } from './support/cleanup';
import { renderSummary, summariseProfile, type Category, type CpuProfile } from './support/cpu-profile-summary';
import { EFFECT_TABLE_SQL, EffectRecorder, effectListeners } from './support/effect-listeners';
import { CONCURRENCY, PLAIN_TABLE_SQL, PipelinePhases } from './support/pipeline-phases';
import { formatNumber } from './support/stats';

const USAGE = `npm run bench:profile-pipeline [-- --seconds 4] [--env NAME=value ...]
Runs the pipeline scenario's throughput burst (commit → 5 listeners done) in this process under the
V8 profiler and prints where the time went, and the statements sent to PostgreSQL per event, by kind.
--env sets a configuration variable of the Herald under test (e.g. LISTENER_CONCURRENCY=64).`;

const on = (stack: readonly string[], ...parts: string[]) => stack.some((frame) => parts.some((part) => frame.includes(part)));
/** What the bench process spends its time on, first match wins (a sample's stack, leaf first). */
const PIPELINE_WORK: Category[] = [
  { name: 'idle', matches: (s) => s[0] === '(idle)' },
  { name: 'garbage collection', matches: (s) => s[0] === '(garbage collector)' },
  { name: 'socket I/O (writes, reads)', matches: (s) => on(s, 'writev', 'writeBuffer', 'onStreamRead', 'writeGeneric', 'writeUtf8String') },
  { name: 'TypeORM', matches: (s) => on(s, 'typeorm/') },
  { name: 'pg (protocol, parsing rows)', matches: (s) => on(s, 'pg/', 'pg-protocol/', 'pg-pool/', 'pg-types/') },
  { name: 'ioredis, publishing', matches: (s) => on(s, 'ioredis/', 'graphql-redis-subscriptions/', 'src/events/event-publisher') },
  { name: 'metrics and spans', matches: (s) => on(s, 'prom-client/', 'src/observability/', '@opentelemetry/') },
  { name: 'listener runtime and completions', matches: (s) => on(s, 'src/events/') },
  { name: 'bench itself', matches: (s) => on(s, 'bench/') },
];

/** Counts the statements every pg client of this process sends, by their first words, and times them (send → answer). */
function countStatements(): { counts: Map<string, number>; millis: Map<string, number>; reset(): void } {
  const counts = new Map<string, number>();
  const millis = new Map<string, number>();
  const original = Client.prototype.query;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string })?.text ?? '');
    const kind = statementKind(text);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const started = performance.now();
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) {
      result.then(
        () => millis.set(kind, (millis.get(kind) ?? 0) + performance.now() - started),
        () => undefined,
      );
    }
    return result;
  } as typeof Client.prototype.query;
  return {
    counts,
    millis,
    reset: () => {
      counts.clear();
      millis.clear();
    },
  };
}

function statementKind(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (/INSERT INTO events/.test(flat)) return 'append (events + deliveries)';
  if (/INSERT INTO bench_effects/.test(flat)) return 'listener effect (bench insert)';
  if (/FOR UPDATE SKIP LOCKED/.test(flat)) return 'claim';
  if (/UPDATE events SET published_at/.test(flat)) return 'mark published';
  if (/FOR UPDATE OF d/.test(flat)) return 'completion: lock claimed rows';
  if (/SET status = 'done'/.test(flat)) return 'completion: mark done';
  if (/lease_expires|SET due_at = now\(\) \+/.test(flat)) return 'lease renewal';
  return flat.split(' ').slice(0, 2).join(' ');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let seconds = 4;
  const env: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--seconds' && Number(argv[i + 1]) > 0) seconds = Number(argv[i + 1]);
    else if (argv[i] === '--env' && /^[A-Z_]+=/.test(argv[i + 1] ?? '')) {
      const [name, ...value] = argv[i + 1].split('=');
      env[name] = value.join('=');
    } else {
      process.stderr.write(`${USAGE}\n`);
      process.exit(64);
    }
  }
  const statements = countStatements();
  const recorder = new EffectRecorder(5);
  const bench = await startBenchHerald({ extraListeners: effectListeners(5, recorder) }, env);
  const pool = new Pool({ connectionString: bench.db.url, max: CONCURRENCY });
  try {
    await bench.db.query(EFFECT_TABLE_SQL);
    await bench.db.query(PLAIN_TABLE_SQL);
    const { dataSource, transactions } = bench.herald.parts;
    const phases = new PipelinePhases(dataSource, transactions, recorder, pool);
    await phases.heraldBurst(1); // warm up

    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    statements.reset();
    const committedBefore = Number((await bench.db.query<{ n: string }>(`SELECT count(*) AS n FROM bench_effects`))[0].n);
    await session.post('Profiler.start');
    const burst = await phases.heraldBurst(seconds);
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    const effects = Number((await bench.db.query<{ n: string }>(`SELECT count(*) AS n FROM bench_effects`))[0].n) - committedBefore;
    const events = effects / 5;

    process.stdout.write(
      `${formatNumber(burst.heraldEventsPerSecond)} events/s, ${burst.heraldCpuMsPerEvent.toFixed(2)} ms CPU per event, ` +
        `${events} events\n\n**Statements per event**\n\n`,
    );
    const total = [...statements.counts.values()].reduce((a, b) => a + b, 0);
    for (const [kind, n] of [...statements.counts].sort((a, b) => b[1] - a[1])) {
      const took = statements.millis.get(kind);
      const mean = took === undefined ? '' : ` (${(took / n).toFixed(2)} ms from send to answer, mean)`;
      process.stdout.write(`- ${(n / events).toFixed(2)} ${kind}${mean}\n`);
    }
    process.stdout.write(`- ${(total / events).toFixed(2)} in all\n\n`);
    process.stdout.write(`${renderSummary(summariseProfile(profile as unknown as CpuProfile, { categories: PIPELINE_WORK }))}\n`);
  } finally {
    await pool.end();
    await bench.stop();
    await cleanUpAll();
  }
}

main().then(
  () => process.exit(0),
  async (error) => {
    process.stderr.write(`profile failed: ${(error as Error).stack ?? error}\n`);
    await cleanUpAll();
    process.exit(1);
  },
);
