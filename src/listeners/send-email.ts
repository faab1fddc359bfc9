import type { DataSource } from 'typeorm';
import { changedRows } from '../db/changed-rows';
import { EmailMessage } from '../entities';
import { ERASED } from '../services/erasure/scrub';
import { UnrecoverableError } from '../errors/domain-errors';
import { defineListener } from '../events/listener';
import type { LinkTokens } from '../auth/link-tokens';
import type { Mailer } from '../mail/mailer';

/**
 * notification.email.send → the message goes to the mail provider; records
 * `notification.email.sent`, or `notification.email.failed` per failed try (then retries).
 * A message already marked sent, or cancelled (its recipient erased their account), is not sent.
 * A link's token is put in here, at send time: the email log keeps a placeholder.
 */
export function sendEmail(deps: { dataSource: DataSource; mailer: Mailer; linkTokens: LinkTokens }) {
  return defineListener({
    name: 'send-email',
    on: ['notification.email.send'],
    maxAttempts: 6,
    backoffMs: 2_000,
    async handle(event, ctx) {
      const { emailId, template, to } = event.payload;
      const repository = deps.dataSource.getRepository(EmailMessage);
      const email = await repository.findOneBy({ id: emailId });
      if (!email) throw new UnrecoverableError(`email ${emailId} is not in the email log`);
      if (email.status === 'sent' || email.status === 'cancelled') return;
      const withLink = (text: string) => (email.linkTokenId ? deps.linkTokens.fill(text, email.linkTokenId) : text);

      const attempts = email.attempts + 1;
      let messageId: string;
      try {
        ({ messageId } = await deps.mailer.send({
          id: email.id,
          to: email.recipient,
          subject: email.subject,
          text: withLink(email.textBody),
          html: withLink(email.htmlBody),
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
        // The recipient as the log has it now: an account erased while this message was on its way
        // has its address replaced there, and the event must not bring it back.
        const [sent] = await changedRows<{ recipient: string }>(
          tx.manager,
          `UPDATE email_messages SET status = 'sent', attempts = $2, provider_message_id = $3, sent_at = now(), last_error = NULL
           WHERE id = $1 AND status <> 'cancelled' RETURNING recipient`,
          [emailId, attempts, messageId],
        );
        tx.record('notification.email.sent', { emailId, template, to: sent?.recipient ?? ERASED, messageId, attempts });
      });
    },
  });
}
