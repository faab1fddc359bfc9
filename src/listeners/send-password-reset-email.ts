import { defineListener } from '../events/listener';
import { passwordResetEmail } from '../mail/account-templates';
import { queueLinkEmail } from '../services/link-emails';
import { lockLiveUser } from '../services/user-rows';
import type { AccountListenerDeps } from './account-deps';

/**
 * auth.password.reset_requested → the reset link (valid PASSWORD_RESET_TTL, 30 min), to the
 * account's address. Nothing when no account had the address: `requestPasswordReset` answered the
 * same either way, and only this listener, after the answer, knows the difference. Nothing either
 * when the account's address changed since the request.
 */
export function sendPasswordResetEmail(deps: AccountListenerDeps) {
  return defineListener({
    name: 'send-password-reset-email',
    on: ['auth.password.reset_requested'],
    async handle(event, ctx) {
      const { userId, email } = event.payload;
      if (!userId) return;
      await ctx.complete(async (tx) => {
        const user = await lockLiveUser(tx.manager, userId);
        if (!user || user.email !== email) return;
        const validFor = deps.accounts.passwordResetTtl;
        await queueLinkEmail(
          tx,
          deps,
          { purpose: 'reset_password', subjectId: user.id, to: user.email, ttlSeconds: validFor },
          { sourceEventId: event.id, template: 'password-reset', render: (resetUrl) => passwordResetEmail({ name: user.name, resetUrl, validFor }) },
        );
      });
    },
  });
}
