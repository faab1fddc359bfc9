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

/**
 * A Herald in this process on loopback, as the test suite starts one (test/support): a fresh
 * database on the real PostgreSQL, Redis channels under a prefix of its own, logs off, cheap
 * password hashing, no rate limit. No SMTP: any mail goes to files in a temporary directory.
 * Listener runtime and publisher keep their production defaults.
 */
export async function startBenchHerald(options: HeraldOptions = {}): Promise<BenchHerald> {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'herald-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_PREFIX: `herald-bench-${randomBytes(4).toString('hex')}:`,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    PASSWORD_HASH_COST: 'low',
    // The bench measures event recording, not the auth rate limits: lift them out of the way.
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_PER_ACCOUNT_PER_MINUTE: '1000000',
    DATA_DIR: dataDir,
  });
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
