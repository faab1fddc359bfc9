import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { POSTGRES_ADMIN_URL } from './env';

export interface TestDatabase {
  url: string;
  /** Runs SQL against the test database on a connection of the test's own. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database of this test file's own on the real PostgreSQL (or on the server
 * `adminUrl` names, e.g. a private one for an outage test).
 */
export async function createTestDatabase(adminUrl = POSTGRES_ADMIN_URL): Promise<TestDatabase> {
  const name = `herald_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // A small pool rather than one client: after a PostgreSQL restart it connects again by itself.
  const pool = new Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => undefined); // an idle client cut by a restart is dropped, not fatal
  return {
    url: url.toString(),
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    async drop() {
      await pool.end();
      const admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
