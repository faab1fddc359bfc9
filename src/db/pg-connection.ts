import type { EntityManager, QueryRunner } from 'typeorm';

/**
 * The pg client under a TypeORM query runner, for the three things TypeORM 1.1's public API does
 * not offer: running a named prepared statement on a transaction's connection (the event append),
 * the backend's process id (to terminate an abandoned completion batch's backend), and releasing a
 * connection so that the pool discards it instead of reusing it. They read TypeORM's
 * PostgresQueryRunner internals (`databaseConnection`, `releasePostgresConnection`), here and
 * nowhere else; test/pg-connection.test.ts fails if a TypeORM upgrade moves them.
 */
interface PostgresRunnerInternals {
  databaseConnection?: PgClient & { processID?: number };
  releasePostgresConnection?(error?: Error): Promise<void>;
}

export interface PgClient {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}

/** The pg client of a transaction's EntityManager (a Postgres query runner's), or null (none yet, or another driver). */
export function pgClientOf(manager: EntityManager): PgClient | null {
  const connection = (manager.queryRunner as PostgresRunnerInternals | undefined)?.databaseConnection;
  return connection && typeof connection.query === 'function' ? connection : null;
}

/** The PostgreSQL backend pid of a connected query runner's connection, or null. */
export function backendPidOf(runner: QueryRunner): number | null {
  return (runner as unknown as PostgresRunnerInternals).databaseConnection?.processID ?? null;
}

/** Releases the runner's connection with an error, so the pool discards it rather than reuse it. */
export async function discardConnection(runner: QueryRunner, error: Error): Promise<void> {
  const internals = runner as unknown as PostgresRunnerInternals;
  if (internals.releasePostgresConnection) await internals.releasePostgresConnection(error);
  else await runner.release();
}
