import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { backendPidOf, discardConnection, pgClientOf } from '../src/db/pg-connection';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * src/db/pg-connection.ts reads TypeORM's query-runner internals (nothing public gives them): if
 * a TypeORM upgrade moves them, these fail instead of the event append or an abandoned batch.
 */
let db: TestDatabase;
let dataSource: DataSource;

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 2 });
  await dataSource.initialize();
});
afterAll(async () => {
  await dataSource.destroy();
  await db.drop();
});

it("finds a transaction's pg client: a named statement on it runs in the same backend and transaction", async () => {
  await dataSource.transaction(async (manager) => {
    const [{ pid, txid }] = await manager.query(`SELECT pg_backend_pid() AS pid, txid_current()::text AS txid`);
    const client = pgClientOf(manager);
    expect(client).not.toBeNull();
    const { rows } = await client!.query<{ pid: number; txid: string }>({
      name: 'pg_connection_test',
      text: 'SELECT pg_backend_pid() AS pid, txid_current()::text AS txid WHERE $1::int = 1',
      values: [1],
    });
    expect(rows).toEqual([{ pid, txid }]);
  });
  expect(pgClientOf(dataSource.manager)).toBeNull(); // no transaction, no connection of its own
});

it("gives a connected runner's backend pid, and discards its connection instead of pooling it again", async () => {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const [{ pid }] = await runner.query(`SELECT pg_backend_pid() AS pid`);
  expect(backendPidOf(runner)).toBe(pid);
  await discardConnection(runner, new Error('abandoned'));
  // The pool opens a new backend for the next runner rather than handing the discarded one back.
  const pids = new Set<number>();
  for (let i = 0; i < 2; i++) {
    const next = dataSource.createQueryRunner();
    await next.connect();
    pids.add((await next.query(`SELECT pg_backend_pid() AS pid`))[0].pid);
    await next.release();
  }
  expect(pids.has(pid)).toBe(false);
});
