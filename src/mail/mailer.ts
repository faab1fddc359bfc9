import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../logger';
import { redactUrl } from '../config';
import { traceIdOf } from '../observability/traceparent';

export interface OutgoingEmail {
  /** The email log id; also the Message-ID's local part, so a resend after a crash can be recognised. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** W3C traceparent of the request that caused the email; sent as the X-Trace-Parent header. */
  traceparent?: string | null;
}

/** The one thing that differs between SMTP and embedded mode: where a message goes. */
export interface Mailer {
  readonly kind: 'smtp' | 'files';
  /** Sends a message; resolves with the provider's message id, rejects when the provider refused it. */
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
  close(): void;
}

export function createMailer(options: { smtpUrl?: string; from: string; mailDir: string; logger: Logger }): Mailer {
  const message = (email: OutgoingEmail) => ({
    from: options.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: `<${email.id}@herald>`,
    // One registration can be followed from the request to the mailbox by its trace id.
    headers: email.traceparent ? { 'X-Trace-Parent': email.traceparent } : undefined,
  });

  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    options.logger.info({ smtp: redactUrl(options.smtpUrl) }, 'mail goes through SMTP');
    return {
      kind: 'smtp',
      send: async (email) => {
        const info = await transport.sendMail(message(email));
        return { messageId: info.messageId };
      },
      close: () => transport.close(),
    };
  }

  // Embedded mode: each message becomes an .eml file that any mail client opens.
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'files',
    send: async (email) => {
      const info = await transport.sendMail(message(email));
      await mkdir(options.mailDir, { recursive: true });
      const file = path.join(options.mailDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${email.id}.eml`);
      await writeFile(file, info.message as Buffer);
      options.logger.info(
        { to: email.to, subject: email.subject, file, traceId: traceIdOf(email.traceparent) },
        'mail written to a file (no SMTP_URL set)',
      );
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}
