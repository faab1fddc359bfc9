import { User } from '../entities';
import { defineListener } from '../events/listener';
import { accountLockedEmail } from '../mail/templates';
import { queueEmail } from '../services/email-outbox';

/** auth.account.locked → an email telling the user (queued; `send-email` delivers it). */
export function sendAccountLockedEmail() {
  return defineListener({
    name: 'send-account-locked-email',
    on: ['auth.account.locked'],
    async handle(event, ctx) {
      const { userId, failures, lockedUntil } = event.payload;
      await ctx.complete(async (tx) => {
        const user = await tx.manager.findOneBy(User, { id: userId });
        if (!user) return; // the account is gone: nobody to tell
        await queueEmail(tx, {
          sourceEventId: event.id,
          template: 'account-locked',
          to: user.email,
          content: accountLockedEmail({ name: user.name, failures, lockedUntil: new Date(lockedUntil) }),
        });
      });
    },
  });
}
