import type { TenantDatabase } from '../db/tenant-database';
import type { TenantMigrator } from '../db/tenant-migrator';
import { defineListener } from '../events/listener';
import { advanceOnboarding, lockOnboardingTenant, ONBOARDING_LISTENERS } from '../services/tenant-onboarding';

/**
 * Onboarding step 1, tenant.created → the tenant's schema, migrated → tenant.database.created.
 * DDL is transactional in Postgres: the schema, its tables, the event and the delivery's
 * completion commit together, so a failed run leaves nothing behind and a rerun starts clean.
 */
export function provisionTenantSchema(deps: { tenantDatabase: TenantDatabase; tenantMigrator: TenantMigrator }) {
  return defineListener({
    name: ONBOARDING_LISTENERS.PROVISION_SCHEMA,
    on: ['tenant.created'],
    async handle(event, ctx) {
      const { tenantId } = event.payload;
      await ctx.complete(async (tx) => {
        if (!(await lockOnboardingTenant(tx.manager, tenantId))) return; // deleted meanwhile
        const schema = await deps.tenantDatabase.create(tx.manager, tenantId);
        await deps.tenantMigrator.migrate(tx.manager, tenantId);
        await advanceOnboarding(tx.manager, tenantId, 'SETUP_ADMIN_USER');
        tx.record('tenant.database.created', { tenantId, schema });
      });
    },
  });
}
