import { defineListener } from '../events/listener';
import { passwordChangedEmail } from '../mail/account-templates';
import { queueEmail } from '../services/email-outbox';
import { lockLiveUser } from '../services/user-rows';
import type { AccountListenerDeps } from './account-deps';

/** auth.password.reset / auth.password.changed → a notice to the account's address, in case it was not them. */
export function sendPasswordChangedNotice(deps: Pick<AccountListenerDeps, 'links'>) {
  return defineListener({
    name: 'send-password-changed-notice',
    on: ['auth.password.reset', 'auth.password.changed'],
    async handle(event, ctx) {
      await ctx.complete(async (tx) => {
        const user = await lockLiveUser(tx.manager, event.payload.userId);
        if (!user) return;
        await queueEmail(tx, {
          sourceEventId: event.id,
          template: 'password-changed',
          to: user.email,
          content: passwordChangedEmail({
            name: user.name,
            how: event.name === 'auth.password.reset' ? 'reset' : 'changed',
            consoleUrl: deps.links.console,
          }),
        });
      });
    },
  });
}
