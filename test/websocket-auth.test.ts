import { createClient, type Client } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { JWT_SECRET } from './support/env';
import { LOGOUT, REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { within } from './support/wait';

const SERVER_TIME = 'subscription { serverTime }';

interface Connection {
  client: Client;
  /** Settles with the close event the client saw. */
  closed: Promise<{ code: number; reason: string }>;
}

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

/** A graphql-ws client that connects at once and never retries, so each close is observable. */
function connect(herald: TestHerald, connectionParams?: Record<string, unknown>): Connection {
  let onClosed!: (event: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: `${herald.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined, // the close event is what the tests look at
    on: { closed: (event) => onClosed(event as { code: number; reason: string }) },
  });
  clients.push(client);
  return { client, closed };
}

/** The first value of `subscription { serverTime }`. */
async function firstServerTime(client: Client): Promise<string> {
  const subscription = client.iterate<{ serverTime: string }>({ query: SERVER_TIME });
  try {
    const { value } = await within(subscription.next(), 10_000, 'the first serverTime');
    expect(value?.errors).toBeUndefined();
    return value!.data!.serverTime;
  } finally {
    await subscription.return?.();
  }
}

async function register(herald: TestHerald) {
  const input = { email: uniqueEmail('ws'), password: 'a fine password', name: 'Socket' };
  return (await herald.gql(REGISTER, { input })).data!.register;
}

describe('WebSocket authentication', () => {
  let t: TestHerald;
  beforeAll(async () => {
    t = await startTestHerald();
  });
  afterAll(() => t.stop());

  it('closes with 4403 when connection_init carries no connectionParams', async () => {
    const { closed } = connect(t);
    expect(await within(closed, 10_000, 'the close')).toMatchObject({ code: 4403 });
  });

  it.each<[string, (auth: { accessToken: string; user: { id: string } }) => Record<string, unknown>]>([
    ['a token that is not a JWT', () => ({ authorization: 'Bearer not-a-token' })],
    ['a token signed with another secret', (auth) => ({
      authorization: `Bearer ${jwt.sign({ sid: 'x' }, 'another-secret-that-is-long-enough-9876543210', { subject: auth.user.id })}`,
    })],
    ['an expired token', (auth) => {
      const { sid } = jwt.decode(auth.accessToken) as jwt.JwtPayload;
      const exp = Math.floor(Date.now() / 1000) - 60;
      return {
        authorization: `Bearer ${jwt.sign({ sid, exp }, JWT_SECRET, { issuer: 'herald', audience: 'herald-api', subject: auth.user.id })}`,
      };
    }],
    ['a valid token without the "Bearer " scheme', (auth) => ({ authorization: auth.accessToken })],
  ])('closes with 4403 for %s', async (_what, params) => {
    const { closed } = connect(t, params(await register(t)));
    expect(await within(closed, 10_000, 'the close')).toMatchObject({ code: 4403 });
  });

  it('closes with 4403 for the token of a session that was logged out', async () => {
    const auth = await register(t);
    expect((await t.gql(LOGOUT, { refreshToken: auth.refreshToken }, auth.accessToken)).data!.logout).toBe(true);
    const { closed } = connect(t, { authorization: `Bearer ${auth.accessToken}` });
    expect(await within(closed, 10_000, 'the close')).toMatchObject({ code: 4403 });
  });

  it('streams serverTime to a connection with a valid token', async () => {
    const auth = await register(t);
    const { client } = connect(t, { authorization: `Bearer ${auth.accessToken}` });
    const serverTime = await firstServerTime(client);
    expect(Math.abs(Date.parse(serverTime) - Date.now())).toBeLessThan(5_000);
  });

  it('answers a subscription the schema lacks with GRAPHQL_VALIDATION_FAILED and keeps the socket open', async () => {
    const auth = await register(t);
    const { client } = connect(t, { authorization: `Bearer ${auth.accessToken}` });
    const subscription = client.iterate({ query: 'subscription { noSuchField }' });
    const failure = await within(subscription.next().catch((errors: unknown) => errors), 10_000, 'the error');
    expect(failure).toEqual([
      expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
    expect(await firstServerTime(client)).toEqual(expect.any(String));
  });
});

describe('a WebSocket whose access token expires', () => {
  let t: TestHerald;
  beforeAll(async () => {
    t = await startTestHerald({ ACCESS_TOKEN_TTL: '2' });
  });
  afterAll(() => t.stop());

  it('is closed with 4403 when the token expires, saying so', async () => {
    const auth = await register(t);
    const { exp } = jwt.decode(auth.accessToken) as jwt.JwtPayload;
    const { client, closed } = connect(t, { authorization: `Bearer ${auth.accessToken}` });
    await firstServerTime(client); // accepted while the token is valid

    const event = await within(closed, 10_000, 'the close at expiry');
    expect(event.code).toBe(4403);
    expect(event.reason).toMatch(/expired/i);
    // Not before the token's expiry (1 s granularity of exp, some timer slack).
    expect(Date.now()).toBeGreaterThanOrEqual(exp! * 1000 - 50);
  });
});
