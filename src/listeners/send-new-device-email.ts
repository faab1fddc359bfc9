import { defineListener } from '../events/listener';
import { newDeviceSignInEmail } from '../mail/account-templates';
import { queueEmail } from '../services/email-outbox';
import { lockLiveUser } from '../services/user-rows';
import type { AccountListenerDeps } from './account-deps';

/** auth.device.new → an email telling the user where the new sign-in came from, in case it was not them. */
export function sendNewDeviceEmail(deps: Pick<AccountListenerDeps, 'links'>) {
  return defineListener({
    name: 'send-new-device-email',
    on: ['auth.device.new'],
    async handle(event, ctx) {
      await ctx.complete(async (tx) => {
        const user = await lockLiveUser(tx.manager, event.payload.userId);
        if (!user) return;
        await queueEmail(tx, {
          sourceEventId: event.id,
          template: 'new-device',
          to: user.email,
          content: newDeviceSignInEmail({
            name: user.name,
            when: new Date(event.occurredAt),
            ip: event.context.ip,
            userAgent: event.context.userAgent,
            consoleUrl: deps.links.console,
          }),
        });
      });
    },
  });
}
