import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../test/support/database';
import { benchRedisPrefix } from './support/bench-herald';
import { cleanUpAll, onCleanup } from './support/cleanup';
import { growSubscribers, measureWindow, startFanOutServer, trimSubscribers } from './support/fan-out-rig';
import { heapCensus, renderCensusDiff } from './support/heap-snapshot-summary';
import { renderSummary, summariseProfile, type Category, type CpuProfile } from './support/cpu-profile-summary';
import { LoadClients } from './support/load-clients';
import { formatNumber } from './support/stats';

const USAGE = `npm run bench:profile [-- --subscribers 1000] [-- --rate 100] [-- --seconds 5] [-- --heap 1]
Runs Herald's fan-out server under \`node --cpu-prof\`, holds N subscribers of one tenant, commits
events at the rate for the seconds given, and prints where the server's time went while it
delivered them (the profile file stays in a temporary directory; its path is printed). With
\`--heap 1\`, also what the heap gained per idle subscriber (heap snapshots before and after).`;

const on = (stack: readonly string[], ...parts: string[]) => stack.some((frame) => parts.some((part) => frame.includes(part)));
/** What a fan-out server spends its time on, first match wins (a sample's stack, leaf first). */
const FAN_OUT_WORK: Category[] = [
  { name: 'idle', matches: (s) => s[0] === '(idle)' },
  { name: 'garbage collection', matches: (s) => s[0] === '(garbage collector)' },
  { name: 'socket writes (ws send: framing, writev)', matches: (s) => on(s, 'ws/lib/sender.js', 'writev') },
  { name: 'serialising each message (graphql-ws stringifyMessage)', matches: (s) => on(s, 'stringifyMessage') },
  { name: 'executing the selection per subscriber (graphql execute, scalars)', matches: (s) => on(s, 'graphql/execution/execute.js', 'graphql/execution/values.js', 'mapSourceToResponse', 'graphql-scalars') },
  { name: 'database and Redis (pg, TypeORM, ioredis)', matches: (s) => on(s, 'pg/', 'pg-protocol/', 'pg-pool/', 'typeorm/', 'ioredis/', 'graphql-redis-subscriptions/') },
  { name: 'per-subscriber iteration (graphql-ws, mapAsyncIterator, LiveSubscription, promises)', matches: (s) => on(s, 'graphql-ws/', 'mapAsyncIterator', 'src/live/', 'runMicrotasks') },
];

function parseArgs(argv: string[]) {
  const options = { subscribers: 1_000, rate: 100, seconds: 5, heap: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof typeof options;
    const value = Number(argv[i + 1]);
    if (!(key in options) || !Number.isFinite(value) || value <= 0) {
      process.stderr.write(`${USAGE}\n`);
      process.exit(64);
    }
    options[key] = value;
  }
  return options;
}

async function main(): Promise<void> {
  const { subscribers, rate, seconds, heap } = parseArgs(process.argv.slice(2));
  const db = await createTestDatabase();
  onCleanup(() => db.drop());
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-fanout-profile-'));
  const env = { BENCH_DATABASE_URL: db.url, BENCH_REDIS_PREFIX: benchRedisPrefix() };
  const herald = await startFanOutServer('herald', { env, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const clients = await LoadClients.start(4);
  let heapBefore: string | null = null;
  if (heap) {
    await growSubscribers(herald, clients, 20); // loads the code a subscriber uses, outside the difference
    await trimSubscribers(herald, clients, 0);
    heapBefore = await herald.child.request<string>('heapSnapshot', { dir });
  }
  const { held } = await growSubscribers(herald, clients, subscribers);
  if (heapBefore) {
    const heapAfter = await herald.child.request<string>('heapSnapshot', { dir });
    process.stdout.write(`${renderCensusDiff(await heapCensus(heapBefore), await heapCensus(heapAfter), held)}\n\n`);
  }
  process.stdout.write(`Herald holds ${held} subscribers; committing ${rate * seconds} events at ${rate}/s\n`);

  const from = await herald.child.request<number>('clock');
  const window = await measureWindow(herald, clients, { perSecond: rate, events: rate * seconds, drainMs: 120_000 });
  const to = await herald.child.request<number>('clock');
  process.stdout.write(
    `delivered ${formatNumber((100 * window.delivered) / window.expected)} % of ${window.expected} in ` +
      `${formatNumber(window.seconds)} s; p50 ${formatNumber(window.p50)} ms, p99 ${formatNumber(window.p99)} ms; ` +
      `server ${formatNumber(window.serverCpuMicrosPerMessage)} µs CPU per message (${formatNumber(window.serverCores, 2)} cores), ` +
      `clients ${formatNumber(window.clientCores, 2)} cores` +
      (window.failedPublishes ? `; ${window.failedPublishes} commits failed (${window.firstPublishError})` : '') +
      '\n\n',
  );
  await clients.stop();
  await herald.child.stop(); // exits by itself, so --cpu-prof writes the profile
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as CpuProfile;
  process.stdout.write(`${renderSummary(summariseProfile(profile, { from, to, categories: FAN_OUT_WORK }))}\nProfile: ${path.join(dir, file)}\n`);
}

main().then(
  () => cleanUpAll().then(() => process.exit(0)),
  async (error) => {
    process.stderr.write(`profile failed: ${(error as Error).stack ?? error}\n`);
    await cleanUpAll();
    process.exit(1);
  },
);
