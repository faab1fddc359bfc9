import { defineListener } from '../events/listener';
import { onboardingStepOf } from '../services/tenant-onboarding';

/**
 * system.listener.failed of an onboarding step → the tenant is FAILED, with the step and the
 * reason in its onboarding → tenant.onboarding.failed. Hooking the dead path through its event
 * keeps the listener runtime unaware of tenants. The reason stays out of the tenant's event (its
 * members read those); platform admins read it on `onboarding.error`.
 */
export function markTenantOnboardingFailed() {
  return defineListener({
    name: 'mark-tenant-onboarding-failed',
    on: ['system.listener.failed'],
    async handle(event, ctx) {
      const { listener, eventId, error, attempts } = event.payload;
      const step = onboardingStepOf(listener);
      if (!step) return; // not an onboarding step: nothing to do here
      await ctx.complete(async (tx) => {
        const [source]: { tenant_id: string | null }[] = await tx.manager.query(
          `SELECT tenant_id FROM events WHERE id = $1`,
          [eventId],
        );
        const tenantId = source?.tenant_id;
        if (!tenantId) return;
        // Only a tenant still provisioning fails; a deleted one stays deleted.
        const failed: { id: string }[] = await tx.manager.query(
          `WITH failed AS (
             UPDATE tenants SET status = 'FAILED', onboarding_step = $2, onboarding_error = $3, updated_at = now()
             WHERE id = $1 AND status = 'PROVISIONING' RETURNING id
           ) SELECT id FROM failed`,
          [tenantId, step, error],
        );
        if (failed.length > 0) tx.record('tenant.onboarding.failed', { tenantId, step, listener, attempts }, { tenantId });
      });
    },
  });
}
