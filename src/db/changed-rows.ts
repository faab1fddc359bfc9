import type { DataSource, EntityManager } from 'typeorm';

/**
 * The rows an UPDATE or DELETE … RETURNING statement returns. TypeORM answers such a statement
 * with `[rows, count]` instead of the rows; wrapped in a CTE it is a SELECT, which answers rows.
 */
export function changedRows<T>(queryable: DataSource | EntityManager, statement: string, parameters: unknown[]): Promise<T[]> {
  return queryable.query(`WITH changed AS (${statement}) SELECT * FROM changed`, parameters);
}
