import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from './uuid';

/** The Postgres schema of a tenant: `tenant_` and its id without dashes. */
export function tenantSchemaName(tenantId: string): string {
  // The name is spliced into DDL and search_path: only a UUID's hex digits may reach it.
  if (!isUuid(tenantId)) throw new Error(`Not a tenant id: ${JSON.stringify(tenantId.slice(0, 64))}`);
  return `tenant_${tenantId.replace(/-/g, '').toLowerCase()}`;
}

/** The tenant's schema does not exist (not provisioned yet, or purged). */
export class TenantSchemaMissingError extends Error {
  override readonly name = 'TenantSchemaMissingError';
}

/**
 * A tenant's database: its own Postgres schema in the landlord database. This is the one place
 * that sets the search_path (and creates and drops tenant schemas); all tenant-scoped access goes
 * through `transaction` or `within`.
 *
 * Inside, the search_path is the tenant's schema alone (pg_catalog stays implicit): unqualified
 * names reach only that tenant's tables, and landlord tables are out of sight. This isolates by
 * name resolution, not by privilege: a schema-qualified name still reaches another schema.
 */
export class TenantDatabase {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in a transaction of its own, scoped to the tenant's schema. */
  transaction<T>(tenantId: string, work: (db: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => this.within(manager, tenantId, work));
  }

  /**
   * Runs `work` inside the caller's open transaction (a listener's `ctx.complete`, say), scoped to
   * the tenant's schema, then puts the previous search_path back, so what the transaction does
   * next (delivery bookkeeping, event appends) resolves landlord tables again. `set_config(...,
   * true)` is `SET LOCAL`: it ends with the transaction and never leaks to the pooled connection.
   * Throws TenantSchemaMissingError when the schema does not exist.
   */
  async within<T>(manager: EntityManager, tenantId: string, work: (db: EntityManager) => Promise<T>): Promise<T> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('TenantDatabase.within needs an open transaction (SET LOCAL would not hold)');
    }
    const schema = tenantSchemaName(tenantId);
    const [state]: { previous: string; present: boolean }[] = await manager.query(
      `SELECT current_setting('search_path') AS previous, to_regnamespace($1) IS NOT NULL AS present`,
      [schema],
    );
    if (!state.present) throw new TenantSchemaMissingError(`Tenant ${tenantId} has no schema`);
    await manager.query(`SELECT set_config('search_path', $1, true)`, [`"${schema}"`]);
    try {
      return await work(manager);
    } finally {
      // After a failed statement the transaction is aborted and this fails too; it ends anyway.
      await manager.query(`SELECT set_config('search_path', $1, true)`, [state.previous]).catch(() => undefined);
    }
  }

  /** Whether the tenant's schema exists (as the caller's transaction, if any, sees it). */
  async exists(manager: EntityManager, tenantId: string): Promise<boolean> {
    const [row]: { present: boolean }[] = await manager.query(
      `SELECT to_regnamespace($1) IS NOT NULL AS present`,
      [tenantSchemaName(tenantId)],
    );
    return row.present;
  }

  /** Creates the tenant's empty schema if it is missing; returns its name. Tables come from TenantMigrator. */
  async create(manager: EntityManager, tenantId: string): Promise<string> {
    const schema = tenantSchemaName(tenantId);
    await manager.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    return schema;
  }

  /** Drops the tenant's schema and everything in it, if it exists; returns its name. */
  async drop(manager: EntityManager, tenantId: string): Promise<string> {
    const schema = tenantSchemaName(tenantId);
    await manager.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    return schema;
  }
}
