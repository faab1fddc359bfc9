import 'reflect-metadata';
import { Client, type ClientConfig } from 'pg';
import { DataSource } from 'typeorm';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from '../migrations';

/**
 * The landlord DataSource. Embedded PGlite is one Postgres session, so its pool holds one
 * connection, and a query waits its turn instead of hanging on a second connection.
 */
export function createDataSource(
  url: string,
  options: { embedded: boolean; applicationName: string; statementTimeoutMs?: number },
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    poolSize: options.embedded ? 1 : 20,
    extra: {
      application_name: options.applicationName,
      connectionTimeoutMillis: options.embedded ? 30_000 : 5_000,
      // Idle clients that die with the server are dropped instead of crashing the process.
      idleTimeoutMillis: 30_000,
      // Sent at connection start-up; PGlite's socket is one session of its own and takes none.
      ...(options.statementTimeoutMs && !options.embedded ? { statement_timeout: options.statementTimeoutMs } : {}),
      Client: ClientWithErrorListener,
    },
  });
}

/**
 * A pg client that always has an 'error' listener. When PostgreSQL shuts down while the pool opens
 * connections, ReadyForQuery and the FATAL can arrive in one packet: pg-pool hands the client out
 * and drops its own listener before TypeORM attaches one, and an 'error' event nobody listens to
 * crashes the process. Nothing is lost: the client is no longer queryable, so its next query fails
 * and the pool discards it.
 */
class ClientWithErrorListener extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

/**
 * Runs pending landlord migrations. With several instances starting at once, a session advisory
 * lock lets one migrate while the others wait (embedded mode has one instance and one connection).
 */
export async function migrate(dataSource: DataSource, embedded: boolean): Promise<void> {
  if (embedded) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

const MIGRATION_LOCK_KEY = 0x6865726d; // "herm"
