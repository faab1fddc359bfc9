import { escapeLiteral, type Client, type QueryResult } from 'pg';
import type { QueryRunner } from 'typeorm';

/**
 * The pg client under a TypeORM query runner, for what TypeORM's `query()` cannot do: named
 * prepared statements, and several statements in one round trip. `QueryRunner.connect()` is
 * TypeORM's public way to it ("returns obtained database connection"); with the Postgres driver
 * that is the pg client the runner holds until it is released.
 */
export async function pgClientOf(runner: QueryRunner): Promise<Client> {
  return (await runner.connect()) as Client;
}

/**
 * Runs `statements` in ONE round trip (the simple query protocol: one message, the statements
 * separated by semicolons) and returns each statement's rows. Values must be written into the
 * text with the literal helpers below; a failing statement skips the ones after it.
 */
export async function runTogether(client: Client, statements: readonly string[]): Promise<unknown[][]> {
  const result = (await client.query(statements.join(';\n'))) as QueryResult | QueryResult[];
  return (Array.isArray(result) ? result : [result]).map((r) => r.rows);
}

/** `'{1,2,3}'::bigint[]` from row ids (decimal digits only: anything else is refused). */
export function bigintArray(ids: readonly string[]): string {
  for (const id of ids) if (!/^\d{1,19}$/.test(id)) throw new Error(`not a row id: ${JSON.stringify(id)}`);
  return `'{${ids.join(',')}}'::bigint[]`;
}

/** `'{1,2}'::int[]` from whole numbers. */
export function intArray(values: readonly number[]): string {
  for (const value of values) if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return `'{${values.join(',')}}'::int[]`;
}

/** A varchar[] literal of any strings, quoted for an array literal and then as an SQL literal. */
export function textArray(values: readonly string[]): string {
  const elements = values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  return `${escapeLiteral(`{${elements.join(',')}}`)}::varchar[]`;
}
