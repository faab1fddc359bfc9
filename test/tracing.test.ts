import { randomBytes } from 'node:crypto';
import { REGISTER, gql } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor } from './support/wait';

let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald();
});
afterAll(() => t.stop());

function register(email: string, headers: Record<string, string> = {}) {
  return gql(t.url, REGISTER, { input: { email, password: 'correct horse battery', name: 'Trace' } }, { headers });
}

const traceIdIn = (traceparent: string | null | undefined) => /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '')?.[1];

describe('one registration followed from request to welcome email', () => {
  it("carries the client's trace id to the events, the listeners' logs and the email", async () => {
    const traceId = randomBytes(16).toString('hex');
    const email = uniqueEmail('traced');
    const response = await register(email, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    expect(response.errors).toBeUndefined();
    expect(traceIdIn(response.headers.get('traceresponse'))).toBe(traceId);

    const [mail] = await waitFor(() => t.smtp.to(email).length === 1 && t.smtp.to(email), { what: 'the welcome email' });
    const header = /^X-Trace-Parent: (.*)$/im.exec(mail.raw)?.[1]?.trim();
    expect(traceIdIn(header)).toBe(traceId);

    // Every event of the flow, the listeners' included, carries the trace.
    const events = await waitFor(async () => {
      const rows = await t.db.query<{ name: string; traceparent: string }>(
        `SELECT name, context->>'traceparent' AS traceparent FROM events WHERE context->>'traceparent' LIKE $1 ORDER BY seq`,
        [`00-${traceId}-%`],
      );
      return rows.some((row) => row.name === 'notification.email.sent') && rows;
    }, { what: 'the events of the flow' });
    expect(events.map((e) => e.name)).toEqual(
      expect.arrayContaining(['user.registered', 'user.login', 'notification.email.send', 'notification.email.sent']),
    );

    const logged = t.logs.filter((line) => line.traceId === traceId);
    expect(logged.find((line) => line.msg === 'graphql operation')).toMatchObject({ operation: 'Register' });
    const listenersLogged = new Set(logged.map((line) => line.listener).filter(Boolean));
    expect(listenersLogged).toEqual(
      new Set(['send-welcome-email', 'send-email', 'record-audit-entry', 'count-daily-metrics']),
    );
  });

  it('starts a new trace when the client sends none, or an invalid traceparent', async () => {
    const plain = await register(uniqueEmail());
    const invalid = await register(uniqueEmail(), { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` });
    const first = traceIdIn(plain.headers.get('traceresponse'));
    const second = traceIdIn(invalid.headers.get('traceresponse'));
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(second).not.toBe('0'.repeat(32));
    expect(first).not.toBe(second);
  });
});
