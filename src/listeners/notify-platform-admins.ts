import { User } from '../entities';
import { defineListener } from '../events/listener';
import { tenantCreatedNoticeEmail } from '../mail/tenant-templates';
import { queueEmail } from '../services/email-outbox';

/** tenant.created → a notice to each platform admin (PLATFORM_ADMIN_EMAILS), queued for `send-email`. */
export function notifyPlatformAdmins(deps: { platformAdminEmails: readonly string[] }) {
  return defineListener({
    name: 'notify-platform-admins',
    on: ['tenant.created'],
    async handle(event, ctx) {
      if (deps.platformAdminEmails.length === 0) return;
      const { tenantId, name, slug, ownerId } = event.payload;
      await ctx.complete(async (tx) => {
        const owner = await tx.manager.findOneBy(User, { id: ownerId });
        const content = tenantCreatedNoticeEmail({ tenantId, tenantName: name, slug, ownerEmail: owner?.email ?? null });
        for (const to of deps.platformAdminEmails) {
          // Platform-level: the admins' addresses are not the tenant's to read in its events.
          await queueEmail(tx, { sourceEventId: event.id, template: 'tenant-created-notice', to, content, platformLevel: true });
        }
      });
    },
  });
}
