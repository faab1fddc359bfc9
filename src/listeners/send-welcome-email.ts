import { defineListener } from '../events/listener';
import { welcomeEmail } from '../mail/account-templates';
import { queueLinkEmail } from '../services/link-emails';
import { lockLiveUser } from '../services/user-rows';
import type { AccountListenerDeps } from './account-deps';

/**
 * user.registered → one email that welcomes and carries the verification link (queued;
 * `send-email` delivers it). Sent to the account's address as it is now, unless it was erased.
 */
export function sendWelcomeEmail(deps: AccountListenerDeps) {
  return defineListener({
    name: 'send-welcome-email',
    on: ['user.registered'],
    async handle(event, ctx) {
      await ctx.complete(async (tx) => {
        const user = await lockLiveUser(tx.manager, event.payload.userId);
        if (!user) return;
        const validFor = deps.accounts.emailVerificationTtl;
        await queueLinkEmail(
          tx,
          deps,
          { purpose: 'verify_email', subjectId: user.id, to: user.email, ttlSeconds: validFor },
          { sourceEventId: event.id, template: 'welcome', render: (verifyUrl) => welcomeEmail({ name: user.name, verifyUrl, validFor }) },
        );
      });
    },
  });
}
