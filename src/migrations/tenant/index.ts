import { tenantBase } from './1764230500000-tenant-base';
import type { TenantMigration } from './tenant-migration';

export type { TenantMigration };

/** Tenant migrations, in version order. Listed explicitly so the build needs no glob. */
export const TENANT_MIGRATIONS: readonly TenantMigration[] = [tenantBase];
