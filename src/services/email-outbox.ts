import { v7 as uuidv7 } from 'uuid';
import type { Tx } from '../events/transactions';
import type { RenderedEmail } from '../mail/templates';

/**
 * Asks for an email inside a unit of work: the message goes into the email log and
 * `notification.email.send` is recorded; the send-email listener delivers it with retries.
 * Idempotent per (source, template, recipient): asking twice queues one message.
 * Returns the email id, or null when it had been queued already.
 */
export async function queueEmail(
  tx: Tx,
  request: {
    /**
     * What asked for it, for idempotency: the event a listener handles, or, for an email a
     * mutation queues itself, something new to that request (its link token's id).
     */
    sourceEventId: string;
    template: string;
    to: string;
    content: RenderedEmail;
    /** The link token whose placeholder the content carries (src/auth/link-tokens.ts). */
    linkTokenId?: string;
    /** Record the request as a platform-level event (tenantId null), e.g. mail to platform admins. */
    platformLevel?: boolean;
  },
): Promise<string | null> {
  const id = uuidv7();
  const inserted: { id: string }[] = await tx.manager.query(
    `INSERT INTO email_messages (id, source_event_id, template, recipient, subject, text_body, html_body, status, link_token_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)
     ON CONFLICT (source_event_id, template, recipient) DO NOTHING
     RETURNING id`,
    [
      id,
      request.sourceEventId,
      request.template,
      request.to,
      request.content.subject,
      request.content.text,
      request.content.html,
      request.linkTokenId ?? null,
    ],
  );
  if (inserted.length === 0) return null;
  tx.record(
    'notification.email.send',
    { emailId: id, template: request.template, to: request.to },
    request.platformLevel ? { tenantId: null } : undefined,
  );
  return id;
}
