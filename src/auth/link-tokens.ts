import { createHash, createHmac } from 'node:crypto';

/** What an emailed link is for. */
export type LinkPurpose = 'verify_email' | 'change_email' | 'reset_password' | 'invitation';

/** Where each link lands in the console (DESIGN §6b). */
export const LINK_PATHS: Record<LinkPurpose, string> = {
  verify_email: '/console/verify-email',
  change_email: '/console/verify-email',
  reset_password: '/console/reset-password',
  invitation: '/console/invitations/accept',
};

/**
 * Stands in for the token in a queued email's stored body; the mailer puts the token in at send
 * time (`LinkTokens.fill`), so the email log never holds a usable link.
 */
export const TOKEN_PLACEHOLDER = '{{link-token}}';

/**
 * The tokens of emailed links (verify, reset, invitation). A token is derived from its row's id
 * with a server key (HMAC-SHA256, 256 bits): the database keeps only its SHA-256, the email log only
 * a placeholder, and every send of one email carries the same link. Without the key, neither the
 * rows nor the stored emails give a usable token.
 */
export class LinkTokens {
  constructor(private readonly key: Buffer) {}

  /** The token of the link-token row `id`. */
  tokenOf(id: string): string {
    return createHmac('sha256', this.key).update(`link:${id}`).digest('base64url');
  }

  /** The token's hash as stored in `link_tokens.token_hash`. */
  static hash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  hashOf(id: string): string {
    return LinkTokens.hash(this.tokenOf(id));
  }

  /** Puts the token of row `id` where a stored email has its placeholder. */
  fill(text: string, id: string): string {
    return text.split(TOKEN_PLACEHOLDER).join(this.tokenOf(id));
  }
}

/** The link of a purpose with the placeholder as its token: `<base>/console/…?token={{link-token}}`. */
export function linkWithPlaceholder(publicUrl: string, purpose: LinkPurpose): string {
  return `${publicUrl}${LINK_PATHS[purpose]}?token=${TOKEN_PLACEHOLDER}`;
}
