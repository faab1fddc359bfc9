import { simpleParser } from 'mailparser';
import type { SmtpSink } from './smtp-sink';
import { waitFor } from './wait';

/** A received email, decoded as a mail client would show it. */
export interface ReadMail {
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

export async function read(raw: string): Promise<ReadMail> {
  const mail = await simpleParser(raw);
  return { subject: mail.subject ?? '', text: mail.text ?? '', html: typeof mail.html === 'string' ? mail.html : '', messageId: mail.messageId ?? '' };
}

/** The decoded messages to `address`, oldest first. */
export async function inbox(smtp: SmtpSink, address: string): Promise<ReadMail[]> {
  return Promise.all(smtp.to(address).map((mail) => read(mail.raw)));
}

/** The link paths emails carry (DESIGN §6b). */
export type LinkPath = '/console/verify-email' | '/console/reset-password' | '/console/invitations/accept';

/** The token of a link in a text, or null. */
export function tokenIn(text: string, path: LinkPath): string | null {
  const match = new RegExp(`${path.replace(/\//g, '\\/')}\\?token=([A-Za-z0-9_-]+)`).exec(text);
  return match ? match[1] : null;
}

/**
 * Waits for the `nth` (from 1) email to `address` whose text has a link to `path`, and returns the
 * link's token, read from the email as its recipient would.
 */
export async function waitForLinkToken(smtp: SmtpSink, address: string, path: LinkPath, nth = 1, timeoutMs = 10_000): Promise<string> {
  return waitFor(
    async () => {
      const tokens = (await inbox(smtp, address)).map((mail) => tokenIn(mail.text, path)).filter((t): t is string => t !== null);
      return tokens.length >= nth ? tokens[nth - 1] : undefined;
    },
    { timeoutMs, what: `email #${nth} to ${address} with a link to ${path}` },
  );
}
