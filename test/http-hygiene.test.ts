import { ME, REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { firstAnswer, openRawSocket } from './support/raw-ws';

const INTROSPECT = '{ __schema { queryType { name } } }';
const page = (url: string) => fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
const preflight = (url: string, origin: string) =>
  fetch(`${url}/graphql`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
  });

describe('outside production (NODE_ENV=test, the defaults)', () => {
  let t: TestHerald;
  beforeAll(async () => {
    t = await startTestHerald();
  });
  afterAll(() => t.stop());

  it('lets pages on any localhost port call the API, and no other origin', async () => {
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:5173', 'http://[::1]:8080']) {
      const response = await preflight(t.url, origin);
      expect([response.status, response.headers.get('access-control-allow-origin')]).toEqual([204, origin]);
      expect(response.headers.get('access-control-allow-headers')).toBe('content-type,authorization');
    }
    for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'null']) {
      expect((await preflight(t.url, origin)).headers.get('access-control-allow-origin')).toBeNull();
    }
    const answer = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' },
      body: JSON.stringify({ query: ME }),
    });
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(answer.headers.get('access-control-expose-headers')).toBe('x-request-id');
  });

  it('sends security headers, and a CSP that locks down API answers', async () => {
    const response = await t.gql(ME);
    expect(Object.fromEntries(['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'strict-transport-security', 'cross-origin-opener-policy', 'x-powered-by'].map((name) => [name, response.headers.get(name)]))).toEqual({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'cross-origin-opener-policy': 'same-origin',
      'x-powered-by': null,
    });
    const health = await fetch(`${t.url}/healthz`);
    expect(health.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it('serves Sandbox with its own CDN script and iframe allowed, the header CSP only restricting framing', async () => {
    const response = await page(t.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe("frame-ancestors 'self'; base-uri 'self'; object-src 'none'");
    const html = await response.text();
    expect(html).toContain('src="https://embeddable-sandbox.cdn.apollographql.com/');
    // The page's own policy (Apollo's, in a meta tag) allows what it loads; the header adds no script-src to fight it.
    expect(html).toMatch(/http-equiv="Content-Security-Policy" content="script-src [^"]*https:\/\/embeddable-sandbox\.cdn\.apollographql\.com/);
    expect(html).toMatch(/frame-src [^"]*https:\/\/sandbox\.embed\.apollographql\.com/);
    expect((await t.gql(INTROSPECT)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  describe('CSRF prevention (Apollo default, kept on)', () => {
    it('refuses a simple GET without a preflight header, and runs it with one', async () => {
      const url = `${t.url}/graphql?query=${encodeURIComponent(ME)}`;
      const simple = await fetch(url);
      expect(simple.status).toBe(400);
      expect(await simple.json()).toEqual({
        errors: [{ message: expect.stringMatching(/CSRF/), extensions: { code: 'BAD_REQUEST' } }],
      });
      const preflighted = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
      expect([preflighted.status, await preflighted.json()]).toEqual([200, { data: { me: null } }]);
    });

    it.each([
      ['a form POST', 'application/x-www-form-urlencoded', `query=${encodeURIComponent('mutation { logoutEverywhere }')}`],
      ['a text/plain POST', 'text/plain', JSON.stringify({ query: 'mutation { logoutEverywhere }' })],
      ['a multipart form POST', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ me { id } }\r\n--x--\r\n'],
    ])('refuses %s (what a page on another site can send without a preflight)', async (_what, contentType, body) => {
      const response = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(400);
      const answer = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(answer.errors[0].extensions.code).toBe('BAD_REQUEST');
    });
  });
});

describe('in production', () => {
  let t: TestHerald;
  let token: string;
  beforeAll(async () => {
    t = await startTestHerald({ NODE_ENV: 'production', PASSWORD_HASH_COST: 'standard' });
    const input = { email: uniqueEmail('prod'), password: 'a fine password', name: 'Prod' };
    token = (await t.gql(REGISTER, { input })).data!.register.accessToken;
  });
  afterAll(() => t.stop());

  it('allows no cross-origin caller by default, localhost included', async () => {
    for (const origin of ['http://localhost:3000', 'https://app.example.com']) {
      expect((await preflight(t.url, origin)).headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('turns introspection off, over HTTP and WebSocket, and hides field suggestions', async () => {
    const http = await t.gql(INTROSPECT);
    expect(http.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typo = await t.gql('{ mee { id } }');
    expect(typo.errors![0].message).toBe('Cannot query field "mee" on type "Query".');

    const raw = await openRawSocket(t.url);
    await raw.init(token);
    raw.subscribe('introspect', INTROSPECT);
    raw.subscribe('typo', '{ mee { id } }');
    expect((await firstAnswer(raw, 'introspect')).payload[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await firstAnswer(raw, 'typo')).payload[0].message).toBe('Cannot query field "mee" on type "Query".');
    raw.close();
  });

  it('serves no Sandbox', async () => {
    const html = await (await page(t.url)).text();
    expect(html).not.toContain('EmbeddedSandbox');
  });
});

describe('in production, configured', () => {
  let t: TestHerald;
  beforeAll(async () => {
    t = await startTestHerald({
      NODE_ENV: 'production',
      PASSWORD_HASH_COST: 'standard',
      CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
      SANDBOX: 'true',
    });
  });
  afterAll(() => t.stop());

  it('allows exactly the listed origins, and serves Sandbox with introspection', async () => {
    expect((await preflight(t.url, 'https://admin.example.com')).headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    expect((await preflight(t.url, 'http://localhost:3000')).headers.get('access-control-allow-origin')).toBeNull();
    expect(await (await page(t.url)).text()).toContain('new window.EmbeddedSandbox');
    expect((await t.gql(INTROSPECT)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});
