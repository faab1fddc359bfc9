import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../logger';
import type { TenantMigration } from '../migrations/tenant';
import type { TenantDatabase } from './tenant-database';

export interface TenantMigrationReport {
  /** Tenants whose schema was behind the newest migration. */
  behind: number;
  migrated: number;
  failed: number;
  ms: number;
}

/**
 * Versioned migrations of the tables inside tenant schemas. Each schema records what it has in
 * its own `tenant_migrations` table; `tenants.schema_version` caches the newest version applied,
 * so start-up finds the schemas that are behind with one indexed query however many tenants
 * there are, and touches only those.
 */
export class TenantMigrator {
  /** The newest version this code knows. */
  readonly latestVersion: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenantDatabase: TenantDatabase,
    private readonly migrations: readonly TenantMigration[],
    private readonly logger: Logger,
  ) {
    migrations.forEach((migration, i) => {
      if (i > 0 && migration.version <= migrations[i - 1].version) {
        throw new Error(`Tenant migration ${migration.name}: versions must increase (${migration.version})`);
      }
    });
    this.latestVersion = migrations.at(-1)?.version ?? 0;
  }

  /**
   * Applies the migrations the tenant's schema lacks, in order, inside the caller's transaction,
   * and records them (in the schema and in `tenants.schema_version`). Returns the versions
   * applied; none for a deleted tenant.
   *
   * It takes the tenant's row lock first, the lock the onboarding steps and the purge take too:
   * a migration never runs beside the provisioning or the purge of its tenant, two instances
   * starting at once take turns (the second finds nothing left to do), and every path takes the
   * row lock before any other, so they cannot deadlock.
   */
  async migrate(manager: EntityManager, tenantId: string): Promise<number[]> {
    const [tenant]: { deleted_at: Date | null }[] = await manager.query(
      `SELECT deleted_at FROM tenants WHERE id = $1 FOR UPDATE`,
      [tenantId],
    );
    if (!tenant || tenant.deleted_at) return [];
    const applied = await this.tenantDatabase.within(manager, tenantId, async (db) => {
      await db.query(`
        CREATE TABLE IF NOT EXISTS tenant_migrations (
          version bigint PRIMARY KEY,
          name varchar(200) NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      const rows: { version: string }[] = await db.query(`SELECT version::text AS version FROM tenant_migrations`);
      const done = new Set(rows.map((row) => Number(row.version)));
      const ran: number[] = [];
      for (const migration of this.migrations) {
        if (done.has(migration.version)) continue;
        await migration.up(db);
        await db.query(`INSERT INTO tenant_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
        ran.push(migration.version);
      }
      return ran;
    });
    await manager.query(
      `UPDATE tenants SET schema_version = greatest(schema_version, $2) WHERE id = $1`,
      [tenantId, this.latestVersion],
    );
    return applied;
  }

  /**
   * Start-up: migrates every live tenant schema that is behind, `concurrency` at a time, one
   * transaction per tenant. A tenant that fails is logged and left at its version (the others
   * still start); a tenant still being provisioned has no schema yet and gets every migration then.
   */
  async migrateAll(options: { concurrency?: number } = {}): Promise<TenantMigrationReport> {
    const started = performance.now();
    const behind: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM tenants
       WHERE deleted_at IS NULL AND schema_version < $1
         AND to_regnamespace('tenant_' || replace(id::text, '-', '')) IS NOT NULL
       ORDER BY id`,
      [this.latestVersion],
    );
    let migrated = 0;
    let failed = 0;
    let next = 0;
    const worker = async () => {
      while (next < behind.length) {
        const { id } = behind[next++];
        try {
          await this.dataSource.transaction((manager) => this.migrate(manager, id));
          migrated++;
        } catch (error) {
          failed++;
          this.logger.error({ err: error, tenantId: id }, 'tenant schema migration failed; the tenant stays at its version');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
    const report = { behind: behind.length, migrated, failed, ms: Math.round(performance.now() - started) };
    if (behind.length > 0) this.logger.info(report, 'tenant schemas migrated');
    else this.logger.debug(report, 'tenant schemas up to date');
    return report;
  }
}
