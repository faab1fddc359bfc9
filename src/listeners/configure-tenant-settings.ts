import type { TenantDatabase } from '../db/tenant-database';
import { defineListener } from '../events/listener';
import { advanceOnboarding, lockOnboardingTenant, ONBOARDING_LISTENERS } from '../services/tenant-onboarding';
import { DEFAULT_TENANT_SETTINGS, putTenantSettings } from '../services/tenant-settings';

/** Onboarding step 3, tenant.onboarding.setup_admin_user → default settings → tenant.onboarding.configure_settings. */
export function configureTenantSettings(deps: { tenantDatabase: TenantDatabase }) {
  return defineListener({
    name: ONBOARDING_LISTENERS.CONFIGURE_SETTINGS,
    on: ['tenant.onboarding.setup_admin_user'],
    async handle(event, ctx) {
      const { tenantId } = event.payload;
      await ctx.complete(async (tx) => {
        if (!(await lockOnboardingTenant(tx.manager, tenantId))) return;
        await deps.tenantDatabase.within(tx.manager, tenantId, (db) =>
          putTenantSettings(db, DEFAULT_TENANT_SETTINGS, { overwrite: false }),
        );
        await advanceOnboarding(tx.manager, tenantId, 'SEND_SETUP_GUIDE');
        tx.record('tenant.onboarding.configure_settings', { tenantId, settings: Object.keys(DEFAULT_TENANT_SETTINGS) });
      });
    },
  });
}
