/**
 * How start-up grows with the number of tenant schemas: the tenant-migration check when nothing
 * is pending, a whole Herald start, and applying one new tenant migration to every schema.
 * Run: `npx tsx scripts/bench-tenant-migrations.ts [counts=100,1000]`. Not part of `npm test`;
 * it uses a database of its own on the real PostgreSQL (and Redis for the Herald start) and drops it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '../src/config';
import { createDataSource, migrate } from '../src/db/data-source';
import { TenantDatabase } from '../src/db/tenant-database';
import { TenantMigrator } from '../src/db/tenant-migrator';
import { createLogger } from '../src/logger';
import { TENANT_MIGRATIONS, type TenantMigration } from '../src/migrations/tenant';
import { Herald } from '../src/server';
import { createTestDatabase } from '../test/support/database';
import { JWT_SECRET, REDIS_URL } from '../test/support/env';

const COUNTS = (process.argv[2] ?? '100,1000').split(',').map(Number);
const silent = createLogger('silent', new Writable({ write: (_chunk, _encoding, callback) => callback() }));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

function extraMigration(offset: number): TenantMigration {
  return {
    version: TENANT_MIGRATIONS.at(-1)!.version + offset,
    name: `bench-${offset}`,
    up: async (db) => {
      await db.query(`CREATE TABLE bench_${offset} (id bigint PRIMARY KEY, body text)`);
    },
  };
}

async function heraldStartMs(databaseUrl: string, dataDir: string): Promise<number> {
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: `herald-bench-${uuidv7()}:`,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
  });
  const herald = new Herald(config, { logger: silent });
  const ms = await timed(() => herald.start());
  await herald.stop();
  return ms;
}

async function bench(count: number): Promise<void> {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'herald-bench-'));
  const dataSource = createDataSource(db.url, { embedded: false, applicationName: 'herald-bench' });
  await dataSource.initialize();
  try {
    await migrate(dataSource, false);
    const tenantDatabase = new TenantDatabase(dataSource);
    const migrator = new TenantMigrator(dataSource, tenantDatabase, TENANT_MIGRATIONS, silent);
    const baseline = median([await heraldStartMs(db.url, dataDir), await heraldStartMs(db.url, dataDir)]);

    // Provision `count` tenant schemas the way onboarding does (schema + migrations), 4 at a time.
    const ids = Array.from({ length: count }, () => uuidv7());
    await dataSource.query(
      `INSERT INTO tenants (id, slug, name, status) SELECT id, 'bench-' || n, 'Bench', 'ACTIVE'
       FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [ids],
    );
    const setup = await timed(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < ids.length) {
            const id = ids[next++];
            await dataSource.transaction(async (manager) => {
              await tenantDatabase.create(manager, id);
              await migrator.migrate(manager, id);
            });
          }
        }),
      );
    });

    const checks: number[] = [];
    for (let i = 0; i < 5; i++) checks.push(await timed(() => migrator.migrateAll({ concurrency: 4 })));
    const starts = [await heraldStartMs(db.url, dataDir), await heraldStartMs(db.url, dataDir), await heraldStartMs(db.url, dataDir)];

    const pending4 = new TenantMigrator(dataSource, tenantDatabase, [...TENANT_MIGRATIONS, extraMigration(1)], silent);
    const apply4 = await timed(() => pending4.migrateAll({ concurrency: 4 }));
    const pending1 = new TenantMigrator(dataSource, tenantDatabase, [...TENANT_MIGRATIONS, extraMigration(1), extraMigration(2)], silent);
    const apply1 = await timed(() => pending1.migrateAll({ concurrency: 1 }));

    console.log(`${count} tenant schemas (created in ${(setup / 1000).toFixed(1)} s):`);
    console.log(`  migration check, nothing pending (median of 5): ${median(checks).toFixed(1)} ms`);
    console.log(`  Herald start-up (median of 3):                  ${median(starts).toFixed(0)} ms (with no tenants: ${baseline.toFixed(0)} ms)`);
    console.log(`  one new tenant migration, 4 at a time:          ${apply4.toFixed(0)} ms (${(apply4 / count).toFixed(2)} ms per tenant)`);
    console.log(`  one new tenant migration, 1 at a time:          ${apply1.toFixed(0)} ms (${(apply1 / count).toFixed(2)} ms per tenant)`);
  } finally {
    await dataSource.destroy();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const count of COUNTS) await bench(count);
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
