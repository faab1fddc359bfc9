import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';

/**
 * THE HOOK for tenant schemas: `herald migrate` calls this after the landlord migrations.
 * Tenants (each in its own `tenant_<id>` schema, DESIGN.md §3) arrive on the tenants branch,
 * which fills this in: list the tenant schemas and run the tenant migrations in each. Until
 * then there are none. Returns how many tenant schemas it migrated.
 */
export async function migrateTenantSchemas(_dataSource: DataSource, _logger: Logger): Promise<number> {
  return 0;
}
