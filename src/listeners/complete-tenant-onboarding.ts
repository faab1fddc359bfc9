import { Tenant } from '../entities';
import { defineListener } from '../events/listener';
import { lockOnboardingTenant, ONBOARDING_LISTENERS } from '../services/tenant-onboarding';

/** Onboarding's last step, tenant.onboarding.send_setup_guide → status ACTIVE → tenant.onboarding.completed. */
export function completeTenantOnboarding() {
  return defineListener({
    name: ONBOARDING_LISTENERS.COMPLETE,
    on: ['tenant.onboarding.send_setup_guide'],
    async handle(event, ctx) {
      const { tenantId } = event.payload;
      await ctx.complete(async (tx) => {
        if (!(await lockOnboardingTenant(tx.manager, tenantId))) return;
        await tx.manager.update(
          Tenant,
          { id: tenantId },
          {
            status: 'ACTIVE',
            onboardingStep: 'COMPLETE',
            onboardingError: null,
            onboardingCompletedAt: () => 'now()',
            updatedAt: () => 'now()',
          },
        );
        tx.record('tenant.onboarding.completed', { tenantId });
      });
    },
  });
}
