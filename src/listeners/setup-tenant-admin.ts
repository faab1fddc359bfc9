import type { TenantDatabase } from '../db/tenant-database';
import { UnrecoverableError } from '../errors/domain-errors';
import { defineListener } from '../events/listener';
import { advanceOnboarding, lockOnboardingTenant, ONBOARDING_LISTENERS } from '../services/tenant-onboarding';
import { ADMIN_USER_SETTING, putTenantSettings } from '../services/tenant-settings';

/**
 * Onboarding step 2, tenant.database.created → the owner becomes the admin user recorded in the
 * tenant's own database → tenant.onboarding.setup_admin_user. (The owner's landlord membership,
 * which grants access, is made by createTenant so the creator can follow provisioning.)
 */
export function setupTenantAdmin(deps: { tenantDatabase: TenantDatabase }) {
  return defineListener({
    name: ONBOARDING_LISTENERS.SETUP_ADMIN_USER,
    on: ['tenant.database.created'],
    async handle(event, ctx) {
      const { tenantId } = event.payload;
      await ctx.complete(async (tx) => {
        const tenant = await lockOnboardingTenant(tx.manager, tenantId);
        if (!tenant) return;
        const ownerId = tenant.createdBy;
        if (!ownerId) throw new UnrecoverableError(`tenant ${tenantId} has no owner to make its admin`);
        await deps.tenantDatabase.within(tx.manager, tenantId, (db) =>
          putTenantSettings(db, { [ADMIN_USER_SETTING]: ownerId }, { overwrite: true }),
        );
        await advanceOnboarding(tx.manager, tenantId, 'CONFIGURE_SETTINGS');
        tx.record('tenant.onboarding.setup_admin_user', { tenantId, userId: ownerId });
      });
    },
  });
}
