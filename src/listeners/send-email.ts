import type { DataSource } from 'typeorm';
import { EmailMessage } from '../entities';
import { UnrecoverableError } from '../errors/domain-errors';
import { defineListener } from '../events/listener';
import type { Mailer } from '../mail/mailer';

/** The circuit breaker key of the mail provider (SMTP, or the .eml files of embedded mode). */
export const MAIL_DEPENDENCY = 'smtp';

/**
 * notification.email.send → the message goes to the mail provider; records
 * `notification.email.sent`, or `notification.email.failed` per failed try (then retries).
 * A message already marked sent is not sent again.
 */
export function sendEmail(deps: { dataSource: DataSource; mailer: Mailer }) {
  return defineListener({
    name: 'send-email',
    on: ['notification.email.send'],
    maxAttempts: 6,
    backoffMs: 2_000,
    // Mail server down: after a few failed sends the others wait for it instead of failing too.
    dependsOn: MAIL_DEPENDENCY,
    async handle(event, ctx) {
      const { emailId, template, to } = event.payload;
      const repository = deps.dataSource.getRepository(EmailMessage);
      const email = await repository.findOneBy({ id: emailId });
      if (!email) throw new UnrecoverableError(`email ${emailId} is not in the email log`);
      if (email.status === 'sent') return;

      const attempts = email.attempts + 1;
      let messageId: string;
      try {
        ({ messageId } = await deps.mailer.send({
          id: email.id,
          to: email.recipient,
          subject: email.subject,
          text: email.textBody,
          html: email.htmlBody,
          traceparent: event.context.traceparent,
        }));
      } catch (error) {
        const reason = error instanceof Error ? error.message.slice(0, 500) : String(error);
        await ctx.transaction((tx) => {
          tx.record('notification.email.failed', { emailId, template, to, attempt: attempts, error: reason });
          return tx.manager.update(EmailMessage, { id: emailId }, { status: 'failed', attempts, lastError: reason });
        });
        throw error;
      }
      await ctx.complete(async (tx) => {
        await tx.manager.update(EmailMessage, { id: emailId }, {
          status: 'sent',
          attempts,
          providerMessageId: messageId,
          sentAt: new Date(),
          lastError: null,
        });
        tx.record('notification.email.sent', { emailId, template, to, messageId, attempts });
      });
    },
  });
}
