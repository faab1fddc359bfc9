import jwt from 'jsonwebtoken';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ME, REGISTER, errorCode, gql } from './support/graphql-client';
import { JWT_SECRET } from './support/env';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';

/**
 * Issue 13, finding 8's smaller items that are not about error wording (test/quiet-errors.test.ts
 * has those). Before: a validly signed token with a non-UUID `sid` answered 500; registering an
 * existing address answered CONFLICT without end (listing accounts); production without SMTP_URL
 * wrote mail to files silently.
 */
let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald({ TRUST_PROXY: '1', REGISTER_CONFLICTS_PER_HOUR: '3' });
});
afterAll(() => t.stop());

const register = (email: string, ip: string) =>
  gql(t.url, REGISTER, { input: { email, password: 'a fine password', name: 'Ada' } }, { headers: { 'x-forwarded-for': ip } });

it('answers UNAUTHENTICATED, not 500, to a validly signed token whose ids are not UUIDs', async () => {
  for (const claims of [{ sub: 'not-a-uuid', sid: '00000000-0000-4000-8000-000000000000' }, { sub: '00000000-0000-4000-8000-000000000000', sid: "1' OR '1'='1" }]) {
    const token = jwt.sign({ sid: claims.sid }, JWT_SECRET, { algorithm: 'HS256', issuer: 'herald', audience: 'herald-api', subject: claims.sub, expiresIn: 60 });
    const response = await gql(t.url, ME, {}, { token });
    expect(response.status).toBe(200);
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
  }
});

it('refuses register from an address that was told "this address has an account" too often, new addresses included', async () => {
  const ip = '198.51.100.9';
  const taken = uniqueEmail('taken');
  expect((await register(taken, '203.0.113.1')).errors).toBeUndefined();
  for (let i = 0; i < 3; i++) expect(errorCode(await register(taken, ip))).toBe('CONFLICT');
  expect(errorCode(await register(taken, ip))).toBe('RATE_LIMITED');
  // The refusal is the same for an address nobody has: it tells nothing.
  const fresh = await register(uniqueEmail('fresh'), ip);
  expect(errorCode(fresh)).toBe('RATE_LIMITED');
  expect(fresh.errors![0].extensions!.retryAfter).toBeGreaterThan(3500);
  // Other client addresses are unaffected.
  expect((await register(uniqueEmail('other'), '203.0.113.2')).errors).toBeUndefined();
});

it('keeps client-sent x-request-id and traceparent out of logs and events unless well formed', async () => {
  const email = uniqueEmail('headers');
  const junk = { 'x-request-id': 'evil\u0007<script>alert(1)</script>'.repeat(3), traceparent: 'evil-traceparent\r\nX-Injected: 1' };
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...junk },
    body: JSON.stringify({ query: REGISTER, variables: { input: { email, password: 'a fine password', name: 'Ada' } } }),
  }).catch(() => null);
  // Node's fetch refuses a header with CR/LF itself; send the rest without it then.
  const sent = response ?? (await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': junk['x-request-id'].replace(/\u0007/g, ''), traceparent: 'evil-traceparent' },
    body: JSON.stringify({ query: REGISTER, variables: { input: { email, password: 'a fine password', name: 'Ada' } } }),
  }));
  expect(sent.status).toBe(200);
  expect(sent.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  const [event] = await t.db.query<{ context: { requestId: string; traceparent: string | null } }>(
    `SELECT context FROM events WHERE name = 'user.registered' AND payload->>'email' = $1`,
    [email],
  );
  expect(event.context.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(event.context.traceparent ?? '').toMatch(/^(00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})?$/);
  expect(t.logText()).not.toContain('<script>');
  expect(t.logText()).not.toContain('evil-traceparent');
});

it('warns loudly when production has no SMTP_URL', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'herald-no-smtp-'));
  const production = await startTestHerald({ NODE_ENV: 'production', PASSWORD_HASH_COST: 'standard', SMTP_URL: '', DATA_DIR: dataDir });
  try {
    const warning = production.logs.find((line) => String(line.msg).startsWith('SMTP_URL is not set in production'));
    expect(warning?.level).toBe(40);
  } finally {
    await production.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
