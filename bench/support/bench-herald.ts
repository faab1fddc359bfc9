import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { Herald, type HeraldOptions } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { JWT_SECRET, REDIS_URL } from '../../test/support/env';
import { onCleanup } from './cleanup';

export interface BenchHerald {
  herald: Herald;
  config: Config;
  /** The fresh database of this Herald, with a connection of the bench's own. */
  db: TestDatabase;
  stop(): Promise<void>;
}

/** A Redis channel prefix of one bench Herald (or of several instances that share channels). */
export function benchRedisPrefix(): string {
  return `herald-bench-${randomBytes(4).toString('hex')}:`;
}

/**
 * The configuration of a bench Herald, as environment variables: loopback, a port of its own, logs
 * off, cheap password hashing, and the auth rate limits lifted (the bench measures other things).
 * `extra` adds or overrides variables (the fan-out bench raises the WebSocket limits).
 */
export function benchHeraldEnv(options: {
  databaseUrl: string;
  redisPrefix: string;
  dataDir: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: options.redisPrefix,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    PASSWORD_HASH_COST: 'low',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_PER_ACCOUNT_PER_MINUTE: '1000000',
    DATA_DIR: options.dataDir,
    ...options.extra,
  };
}

/**
 * A Herald in this process on loopback, as the test suite starts one (test/support): a fresh
 * database on the real PostgreSQL, Redis channels under a prefix of its own, logs off, cheap
 * password hashing, no rate limit. No SMTP: any mail goes to files in a temporary directory.
 * Listener runtime and publisher keep their production defaults. `env` adds configuration variables.
 */
export async function startBenchHerald(options: HeraldOptions = {}, extra?: Record<string, string>): Promise<BenchHerald> {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'herald-bench-'));
  const config = loadConfig(benchHeraldEnv({ databaseUrl: db.url, redisPrefix: benchRedisPrefix(), dataDir, extra }));
  const herald = new Herald(config, options);
  const stop = onCleanup(async () => {
    await herald.stop('bench done');
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  try {
    await herald.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { herald, config, db, stop };
}
