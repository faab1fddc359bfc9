import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { JWT_SECRET } from './support/env';
import { LOGOUT, ME, REGISTER, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';

let t: TestHerald;
let user: { id: string; accessToken: string; refreshToken: string; sessionId: string };
beforeAll(async () => {
  t = await startTestHerald();
  const response = await t.gql(REGISTER, { input: { email: uniqueEmail('tokens'), password: 'a fine password', name: 'Tok' } });
  const auth = response.data!.register;
  const claims = jwt.decode(auth.accessToken) as jwt.JwtPayload;
  user = { id: auth.user.id, accessToken: auth.accessToken, refreshToken: auth.refreshToken, sessionId: claims.sid };
});
afterAll(() => t.stop());

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A token as Herald issues them (HS256, issuer herald, audience herald-api), with `changes` applied. */
function signed(changes: { secret?: string; issuer?: string; audience?: string; exp?: number; sid?: string } = {}) {
  const { secret = JWT_SECRET, issuer = 'herald', audience = 'herald-api', exp = now() + 600, sid = user.sessionId } = changes;
  return jwt.sign({ sid, exp }, secret, { algorithm: 'HS256', issuer, audience, subject: user.id });
}

/** The valid token with one character of its signature changed. */
function tampered(token: string): string {
  const [header, payload, signature] = token.split('.');
  const middle = Math.floor(signature.length / 2);
  const swapped = signature[middle] === 'A' ? 'B' : 'A';
  return [header, payload, signature.slice(0, middle) + swapped + signature.slice(middle + 1)].join('.');
}

/** Refused the way every bad token is: UNAUTHENTICATED, the same words, no hint of why. */
function expectRefused(response: GraphQLResponse) {
  expect(response.status).toBe(200);
  expect(response.data).toEqual({ me: null });
  expect(response.errors).toEqual([
    {
      message: 'Your access token is invalid or expired: refresh it or sign in again.',
      locations: expect.any(Array),
      path: ['me'],
      extensions: { code: 'UNAUTHENTICATED' },
    },
  ]);
  expect(response.text).not.toMatch(/signature|audience|issuer|jwt|malformed|algorithm|session|revoked|stack/i);
}

describe('me with an access token that must not be accepted', () => {
  it('serves me with the untouched token (the control case)', async () => {
    const response = await t.gql(ME, {}, user.accessToken);
    expect(response.data!.me.id).toBe(user.id);
  });

  it.each<[string, () => string]>([
    ['a changed signature', () => tampered(user.accessToken)],
    ['an expiry in the past', () => signed({ exp: now() - 60 })],
    ['alg "none" and no signature', () => {
      const claims = jwt.decode(user.accessToken) as jwt.JwtPayload;
      return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
    }],
    ['another audience', () => signed({ audience: 'some-other-api' })],
    ['another issuer', () => signed({ issuer: 'someone-else' })],
    ['another secret', () => signed({ secret: 'another-secret-that-is-long-enough-9876543210' })],
    ['a valid signature over a session that never existed', () => signed({ sid: randomUUID() })],
    ['a payload edited to name another session, signature kept', () => {
      const [header, , signature] = user.accessToken.split('.');
      const claims = jwt.decode(user.accessToken) as jwt.JwtPayload;
      return [header, base64url({ ...claims, sid: randomUUID() }), signature].join('.');
    }],
    ['a string that is not a JWT at all', () => 'not-a-jwt'],
  ])('refuses %s with UNAUTHENTICATED and says nothing more', async (_what, token) => {
    expectRefused(await t.gql(ME, {}, token()));
  });

  it('logs no token, in whole or in part', () => {
    const [, payload, signature] = user.accessToken.split('.');
    expect(t.logText()).not.toContain(payload);
    expect(t.logText()).not.toContain(signature);
  });
});

describe('the access token of a session that was logged out', () => {
  it('is refused like any other bad token, though its signature and expiry are still good', async () => {
    const session = (
      await t.gql(REGISTER, { input: { email: uniqueEmail('gone'), password: 'a fine password', name: 'Gone' } })
    ).data!.register;
    expect((await t.gql(ME, {}, session.accessToken)).data!.me.id).toBe(session.user.id);

    const out = await t.gql(LOGOUT, { refreshToken: session.refreshToken }, session.accessToken);
    expect(out.data!.logout).toBe(true);

    expect(jwt.verify(session.accessToken, JWT_SECRET)).toMatchObject({ sub: session.user.id });
    expectRefused(await t.gql(ME, {}, session.accessToken));
  });
});
