import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The whole message as received (headers and body). */
  raw: string;
  subject: string;
  messageId: string;
}

export interface SmtpSinkOptions {
  /** Answer the first N messages' DATA with a temporary failure (451): the sender retries. */
  rejectFirst?: number;
  /**
   * Never answer the first N messages' DATA (Infinity: every message): the sender waits on the
   * reply, as with a provider that hangs. Such a message is not accepted; it lands in `stalled`.
   */
  stallFirst?: number;
}

/** A real SMTP server on a free loopback port that keeps every message it receives. */
export async function startSmtpSink(options: SmtpSinkOptions = {}) {
  const messages: ReceivedMail[] = [];
  /** Messages answered with a temporary failure (see `rejectFirst`, `setRejecting`). */
  const rejected: ReceivedMail[] = [];
  let rejecting = false;
  /** Messages whose DATA arrived but was never answered (see `stallFirst`). */
  const stalled: ReceivedMail[] = [];
  let toReject = options.rejectFirst ?? 0;
  let toStall = options.stallFirst ?? 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // A stalled sender that never hangs up must not keep close() waiting its default 30 s.
    closeTimeout: 2_000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '',
          messageId: /^Message-ID: (.*)$/im.exec(raw)?.[1]?.trim() ?? '',
        };
        if (toStall > 0) {
          toStall--;
          stalled.push(mail); // no callback: the sender waits for a reply that never comes
          return;
        }
        if (toReject > 0 || rejecting) {
          if (toReject > 0) toReject--;
          rejected.push(mail);
          const error = Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 451 });
          callback(error);
          return;
        }
        messages.push(mail);
        callback();
      });
    },
  });
  // A sender killed mid-conversation (the crash tests SIGKILL Herald while it sends) resets its
  // connection: smtp-server re-emits that as an 'error' on the server, which would otherwise be
  // thrown outside any test ("read ECONNRESET"). The sink carries on; tests look at the messages.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    messages,
    stalled,
    rejected,
    /** While on, every message's DATA is answered with a temporary failure (451), as by a provider in trouble. */
    setRejecting: (on: boolean) => {
      rejecting = on;
    },
    /** Messages to one recipient. */
    to: (address: string) => messages.filter((m) => m.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;
