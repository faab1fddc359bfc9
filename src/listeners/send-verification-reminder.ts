import { defineListener } from '../events/listener';
import { verifyEmailReminder } from '../mail/account-templates';
import { queueLinkEmail } from '../services/link-emails';
import { lockLiveUser } from '../services/user-rows';
import type { AccountListenerDeps } from './account-deps';

/**
 * user.registered, VERIFICATION_REMINDER_AFTER (24 h) later → a reminder with a fresh link, if the
 * address is still unverified; nothing once it is verified (or the account is gone). The delivery
 * row waits in the database (`delayMs`), so the reminder survives restarts and goes out once.
 */
export function sendVerificationReminder(deps: AccountListenerDeps) {
  return defineListener({
    name: 'send-verification-reminder',
    on: ['user.registered'],
    delayMs: deps.accounts.verificationReminderAfter * 1000,
    async handle(event, ctx) {
      await ctx.complete(async (tx) => {
        const user = await lockLiveUser(tx.manager, event.payload.userId);
        if (!user || user.emailVerifiedAt) return;
        const validFor = deps.accounts.emailVerificationTtl;
        await queueLinkEmail(
          tx,
          deps,
          { purpose: 'verify_email', subjectId: user.id, to: user.email, ttlSeconds: validFor },
          {
            sourceEventId: event.id,
            template: 'verify-email-reminder',
            render: (verifyUrl) => verifyEmailReminder({ name: user.name, verifyUrl, validFor, reminder: true }),
          },
        );
      });
    },
  });
}
