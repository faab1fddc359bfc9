import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { Herald, type HeraldOptions } from '../../src/server';
import { createTestDatabase, type TestDatabase } from './database';
import { JWT_SECRET, REDIS_URL, SECRET_KEY } from './env';
import { gql, type GraphQLResponse } from './graphql-client';
import { startSmtpSink, type SmtpSink } from './smtp-sink';

export interface TestHerald {
  herald: Herald;
  url: string;
  db: TestDatabase;
  smtp: SmtpSink;
  /** Its REDIS_PREFIX: the namespace of its pub/sub channels and rate-limit keys on the shared Redis. */
  redisPrefix: string;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, unknown>[];
  /** The raw log text, for scanning. */
  logText: () => string;
  gql: <T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string) => Promise<GraphQLResponse<T>>;
  /** A second server on the same database, Redis channels and mail sink (another instance). */
  startPeer: (env?: Record<string, string>, options?: HeraldOptions) => Promise<Herald>;
  stop: () => Promise<void>;
}

/**
 * Starts Herald in this process against real PostgreSQL (a database of the test's own), real
 * Redis (channels under a prefix of the test's own) and a real SMTP sink.
 */
export async function startTestHerald(
  env: Record<string, string> = {},
  options: HeraldOptions = {},
): Promise<TestHerald> {
  const db = await createTestDatabase();
  const smtp = await startSmtpSink();
  const lines: string[] = [];
  const prefix = `herald-test-${randomBytes(4).toString('hex')}:`;
  const baseEnv = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: db.url,
    REDIS_URL: REDIS_URL,
    REDIS_PREFIX: prefix,
    SMTP_URL: smtp.url,
    JWT_SECRET,
    SECRET_KEY,
    LOG_LEVEL: 'debug',
    PASSWORD_HASH_COST: 'low',
    SHUTDOWN_TIMEOUT_MS: '5000',
    // Suites create many tenants with one owner; test/tenant-quotas.test.ts checks the real defaults.
    TENANTS_PER_USER: '1000',
    TENANT_CREATIONS_PER_USER_PER_HOUR: '1000',
  };
  const peers: Herald[] = [];
  const build = (overrides: Record<string, string>, heraldOptions: HeraldOptions) =>
    new Herald(loadConfig({ ...baseEnv, ...env, ...overrides }), {
      runtime: { pollIntervalMs: 200 },
      sweepIntervalMs: 500,
      ...options,
      ...heraldOptions,
      logger: createLogger(
        'debug',
        new Writable({
          write(chunk, _encoding, callback) {
            lines.push(...chunk.toString().split('\n').filter(Boolean));
            callback();
          },
        }),
      ),
    });

  const herald = build({}, {});
  await herald.start();
  const url = herald.url;
  return {
    herald,
    url,
    db,
    smtp,
    redisPrefix: env.REDIS_PREFIX ?? prefix,
    get logs() {
      return lines.map((line) => JSON.parse(line));
    },
    logText: () => lines.join('\n'),
    gql: <T>(query: string, variables?: Record<string, unknown>, token?: string) =>
      gql<T>(url, query, variables, { token }),
    async startPeer(overrides = {}, heraldOptions = {}) {
      const peer = build(overrides, heraldOptions);
      peers.push(peer);
      await peer.start();
      return peer;
    },
    async stop() {
      await Promise.all([herald, ...peers].map((h) => h.stop()));
      await smtp.close();
      await db.drop();
    },
  };
}

let counter = 0;
/** A unique email for this test run. */
export function uniqueEmail(label = 'user'): string {
  return `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}-${randomBytes(3).toString('hex')}@example.com`;
}
