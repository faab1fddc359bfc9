import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../../src/config';
import { Herald } from '../../src/server';
import { gql, REGISTER } from '../../test/support/graphql-client';
import { CREATE_TENANT } from '../../test/support/tenants';
import { openFilesLimit, serveParent, statsAfter } from '../support/bench-child';
import { benchHeraldEnv } from '../support/bench-herald';
import { waitUntil } from '../support/concurrency';
import { BENCH_EVENT, publishPaced, type PublishRequest } from './event-source';
import type { FanOutServerReady, FanOutTarget, ServerStats } from './server-contract';

/**
 * Herald as a fan-out server (a child process of the bench): `src/server.ts`'s Herald on the
 * database BENCH_DATABASE_URL with Redis channels under BENCH_REDIS_PREFIX (two processes given the
 * same pair are two instances of one deployment). WebSocket limits are raised so that thousands of
 * subscribers of one user fit: the bench measures delivery, not the limits.
 */

/** Limits the bench needs lifted: one user holds every subscriber connection. */
const FAN_OUT_LIMITS = {
  WS_MAX_CONNECTIONS_PER_USER: '10000',
  // An access token outlives the whole bench run (a socket closes when its token expires).
  ACCESS_TOKEN_TTL: '2h',
};

const ORIGIN = { actorId: null, context: { requestId: null, ip: '127.0.0.1', userAgent: 'herald-bench' } };

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'herald-bench-fanout-'));
  const config = loadConfig(
    benchHeraldEnv({
      databaseUrl: required('BENCH_DATABASE_URL'),
      redisPrefix: required('BENCH_REDIS_PREFIX'),
      dataDir,
      extra: FAN_OUT_LIMITS,
    }),
  );
  const herald = new Herald(config);
  await herald.start();
  let tenantId: string | null = null;

  /** An account and an ACTIVE tenant it owns, made through the API as a client would. */
  const setup = async (): Promise<FanOutTarget> => {
    const suffix = randomBytes(5).toString('hex');
    const registered = await gql<{ register: { accessToken: string } }>(herald.url, REGISTER, {
      input: { email: `fanout-${suffix}@example.com`, password: 'bench password 123', name: 'Fan-out bench' },
    });
    const token = registered.data?.register.accessToken;
    if (!token) throw new Error(`register failed: ${registered.text}`);
    const created = await gql<{ createTenant: { id: string } }>(
      herald.url,
      CREATE_TENANT,
      { input: { name: 'Fan-out bench', slug: `fanout-${suffix}` } },
      { token },
    );
    const id = created.data?.createTenant.id;
    if (!id) throw new Error(`createTenant failed: ${created.text}`);
    await waitUntil(async () => {
      const [row] = await herald.parts.dataSource.query(`SELECT status FROM tenants WHERE id = $1`, [id]);
      return row?.status === 'ACTIVE';
    }, `tenant ${id} to be ACTIVE`);
    tenantId = id;
    return { token, tenantId: id };
  };

  /** Commits each event through Herald's own write path: one transaction, one event. */
  const publish = (request: PublishRequest & { tenantId?: string }) => {
    const target = request.tenantId ?? tenantId;
    if (!target) throw new Error('publish before setup, and no tenantId given');
    const { transactions } = herald.parts;
    return publishPaced(request, 'done', (key) =>
      transactions.run({ ...ORIGIN, tenantId: target }, async (tx) => void tx.record(BENCH_EVENT, { tenantId: key })),
    );
  };

  const ready: FanOutServerReady = {
    url: `${herald.url.replace(/^http/, 'ws')}/graphql`,
    protocol: 'graphql-ws',
    sseUrl: `${herald.url}/graphql/stream`,
    fdLimit: openFilesLimit(),
  };
  serveParent(
    ready,
    {
      setup,
      publish,
      /** The monotonic clock V8's CPU profiler stamps samples with, µs: marks a window in a --cpu-prof profile. */
      clock: () => Number(process.hrtime.bigint() / 1000n),
      /** Writes a V8 heap snapshot into `dir` (after a full GC) and returns its path. */
      heapSnapshot: ({ dir }: { dir: string }) => {
        global.gc?.();
        return writeHeapSnapshot(path.join(dir, `herald-${Date.now()}.heapsnapshot`));
      },
      stats: async (body: { gc?: boolean }): Promise<ServerStats> => {
        const stats = await statsAfter(body);
        const live = herald.liveStats();
        return { ...stats, connections: live.connections, subscriptions: live.subscriptions };
      },
    },
    async () => {
      await herald.stop('bench done');
      await rm(dataDir, { recursive: true, force: true });
    },
  );
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: this process is started by the fan-out bench`);
  return value;
}

void main();
