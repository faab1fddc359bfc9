import { User } from '../entities';
import { UnrecoverableError } from '../errors/domain-errors';
import { defineListener } from '../events/listener';
import { setupGuideEmail } from '../mail/tenant-templates';
import { queueEmail } from '../services/email-outbox';
import { advanceOnboarding, lockOnboardingTenant, ONBOARDING_LISTENERS } from '../services/tenant-onboarding';

/**
 * Onboarding step 4, tenant.onboarding.configure_settings → the setup guide queued for the owner
 * (`send-email` delivers it) → tenant.onboarding.send_setup_guide.
 */
export function sendSetupGuide() {
  return defineListener({
    name: ONBOARDING_LISTENERS.SEND_SETUP_GUIDE,
    on: ['tenant.onboarding.configure_settings'],
    async handle(event, ctx) {
      const { tenantId } = event.payload;
      await ctx.complete(async (tx) => {
        const tenant = await lockOnboardingTenant(tx.manager, tenantId);
        if (!tenant) return;
        const owner = tenant.createdBy ? await tx.manager.findOneBy(User, { id: tenant.createdBy }) : null;
        if (!owner) throw new UnrecoverableError(`tenant ${tenantId} has no owner to send the setup guide to`);
        const emailId = await queueEmail(tx, {
          sourceEventId: event.id,
          template: 'tenant-setup-guide',
          to: owner.email,
          content: setupGuideEmail({ ownerName: owner.name, tenantName: tenant.name ?? tenant.slug, slug: tenant.slug }),
        });
        await advanceOnboarding(tx.manager, tenantId, 'COMPLETE');
        tx.record('tenant.onboarding.send_setup_guide', { tenantId, emailId });
      });
    },
  });
}
