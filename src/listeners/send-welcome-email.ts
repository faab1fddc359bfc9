import { defineListener } from '../events/listener';
import { welcomeEmail } from '../mail/templates';
import { queueEmail } from '../services/email-outbox';

/** user.registered → a welcome email (queued; `send-email` delivers it). */
export function sendWelcomeEmail() {
  return defineListener({
    name: 'send-welcome-email',
    on: ['user.registered'],
    async handle(event, ctx) {
      await ctx.complete((tx) =>
        queueEmail(tx, {
          sourceEventId: event.id,
          template: 'welcome',
          to: event.payload.email,
          content: welcomeEmail({ name: event.payload.name }),
        }),
      );
    },
  });
}
