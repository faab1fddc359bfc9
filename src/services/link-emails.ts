import type { LinkPurpose } from '../auth/link-tokens';
import type { Tx } from '../events/transactions';
import type { EmailLinks } from '../mail/email-links';
import type { RenderedEmail } from '../mail/templates';
import { queueEmail } from './email-outbox';
import type { LinkTokenStore } from './link-token-store';

/**
 * Mints an emailed link and queues the email that carries it, in one unit of work: the link's row
 * (valid `ttlSeconds`) and the email (its body holding the link with a placeholder token) commit
 * together. `render` gets the link to put in the email. Returns the link row's id.
 */
export async function queueLinkEmail(
  tx: Tx,
  parts: { linkTokens: LinkTokenStore; links: EmailLinks },
  link: { purpose: LinkPurpose; subjectId: string; to: string; ttlSeconds: number },
  email: { sourceEventId?: string; template: string; render: (url: string) => RenderedEmail },
): Promise<string> {
  const linkTokenId = await parts.linkTokens.mint(tx.manager, {
    purpose: link.purpose,
    subjectId: link.subjectId,
    email: link.to,
    ttlSeconds: link.ttlSeconds,
  });
  await queueEmail(tx, {
    // An email a mutation queues itself is new to that request: its link's id keys it.
    sourceEventId: email.sourceEventId ?? linkTokenId,
    template: email.template,
    to: link.to,
    content: email.render(parts.links.link(link.purpose)),
    linkTokenId,
  });
  return linkTokenId;
}
