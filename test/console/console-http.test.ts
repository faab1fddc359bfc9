import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { get, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startTestHerald, uniqueEmail, type TestHerald } from '../support/herald';
import { signUp } from '../support/tenants';

const DIST = join(__dirname, '../../dist/console');
const HEADER = { 'content-type': 'application/json', 'x-herald-console': '1' };
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'another horse battery';

/** A GET that leaves the body as sent (fetch would decompress it). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** The console over plain HTTP: its files, its headers, and attacks on its cookie endpoint. */
describe('console: files and the cookie endpoint', () => {
  let t: TestHerald;
  beforeAll(async () => {
    t = await startTestHerald();
  });
  afterAll(() => t?.stop());

  const auth = (action: string, body: unknown, headers: Record<string, string> = HEADER) =>
    fetch(`${t.url}/console/auth/${action}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const cookieOf = (response: Response, name = '__Host-herald-refresh') =>
    response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`)) ?? '';
  const tokenIn = (setCookie: string) => /__Host-herald-refresh=([^;]*)/.exec(setCookie)?.[1] ?? '';

  describe('files', () => {
    const asset = (ext: string) => readdirSync(join(DIST, 'assets')).find((name) => name.endsWith(ext))!;

    it('serves the app with the console CSP (scripts from Herald only), not cached', async () => {
      const response = await fetch(`${t.url}/console/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      expect(csp).toContain("frame-ancestors 'none'");
      const html = await response.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    });

    it('answers index.html for the app’s pages, including where emailed links land', async () => {
      for (const path of ['/console/tenants/abc/events', '/console/verify-email?token=x', '/console/invitations/accept?token=y']) {
        const response = await fetch(`${t.url}${path}`);
        expect(response.status).toBe(200);
        expect(await response.text()).toContain('<div id="app">');
      }
    });

    it('sends hashed assets immutable, brotli or gzip as the browser accepts', async () => {
      const name = asset('.js');
      const plain = readFileSync(join(DIST, 'assets', name));
      const br = await rawGet(`${t.url}/console/assets/${name}`, { 'accept-encoding': 'br, gzip' });
      expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toBe('Accept-Encoding');
      expect(brotliDecompressSync(br.body).equals(plain)).toBe(true);
      const gz = await rawGet(`${t.url}/console/assets/${name}`, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).equals(plain)).toBe(true);
      const identity = await rawGet(`${t.url}/console/assets/${name}`, {});
      expect(identity.headers['content-encoding']).toBeUndefined();
      expect(identity.body.equals(plain)).toBe(true);
    });

    it('answers 404 for a missing asset, and no path reaches other files', async () => {
      for (const path of ['/console/assets/missing.js', '/console/assets/..%2f..%2fpackage.json', '/console/%2e%2e/%2e%2e/package.json', '/console/index.html.br']) {
        const response = await fetch(`${t.url}${path}`);
        const body = await response.text();
        expect(body).not.toContain('"name": "herald"');
        if (path.includes('assets') || path.endsWith('.br')) expect(response.status).toBe(404);
      }
    });

    it('is off with CONSOLE=false', async () => {
      const off = await startTestHerald({ CONSOLE: 'false' });
      try {
        expect((await fetch(`${off.url}/console/`)).status).toBe(404);
        expect((await fetch(`${off.url}/console/auth/login`, { method: 'POST', headers: HEADER, body: '{}' })).status).toBe(404);
      } finally {
        await off.stop();
      }
    });
  });

  describe('/console/auth', () => {
    it('signs in: the access token in the body, the refresh token only in an HttpOnly __Host- cookie', async () => {
      const email = uniqueEmail('cookie');
      await signUp(t, email);
      const response = await auth('login', { email, password: PASSWORD });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: Record<string, unknown> };
      expect(Object.keys(body.data).sort()).toEqual(['accessToken', 'expiresIn', 'user']);
      const setCookie = cookieOf(response);
      expect(setCookie).toMatch(/^__Host-herald-refresh=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/);
      expect(JSON.stringify(body)).not.toContain(tokenIn(setCookie));

      // The cookie refreshes (and rotates); logout ends the session and clears it.
      const refreshed = await auth('refresh', {}, { ...HEADER, cookie: `__Host-herald-refresh=${tokenIn(setCookie)}` });
      expect(((await refreshed.json()) as { data: { accessToken: string } }).data.accessToken).toEqual(expect.any(String));
      const rotated = tokenIn(cookieOf(refreshed));
      expect(rotated).not.toBe(tokenIn(setCookie));
      const out = await auth('logout', {}, { ...HEADER, cookie: `__Host-herald-refresh=${rotated}` });
      expect(cookieOf(out)).toContain('Max-Age=0');
      const after = await auth('refresh', {}, { ...HEADER, cookie: `__Host-herald-refresh=${rotated}` });
      expect(await after.json()).toEqual({ data: null });
      expect(cookieOf(after)).toContain('Max-Age=0');
    });

    it('keeps the device token in an HttpOnly __Host- cookie too, so the next sign-in is a known device', async () => {
      const email = uniqueEmail('device-cookie');
      const { userId } = await signUp(t, email);
      const first = await auth('login', { email, password: PASSWORD });
      const device = cookieOf(first, '__Host-herald-device');
      expect(device).toMatch(/^__Host-herald-device=[^;]+; Path=\/; Max-Age=31536000; HttpOnly; Secure; SameSite=Strict$/);
      const deviceToken = /=([^;]*)/.exec(device)![1];
      expect(await first.text()).not.toContain(deviceToken);
      const second = await auth('login', { email, password: PASSWORD }, { ...HEADER, cookie: `__Host-herald-device=${deviceToken}` });
      expect(second.status).toBe(200);
      const [row] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM events WHERE name = 'auth.device.new' AND payload->>'userId' = $1`,
        [userId],
      );
      expect(row.n).toBe(1);
    });

    it('refuses a call without its custom header (CSRF), and any method but POST', async () => {
      const noHeader = await auth('login', { email: 'a@example.com', password: 'x' }, { 'content-type': 'application/json' });
      expect(noHeader.status).toBe(403);
      expect(((await noHeader.json()) as { errors: { message: string }[] }).errors[0].message).toContain('x-herald-console');
      const wrongValue = await auth('refresh', {}, { ...HEADER, 'x-herald-console': 'yes' });
      expect(wrongValue.status).toBe(403);
      // A form post from another site can send neither the header nor JSON.
      const form = await fetch(`${t.url}/console/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
      expect(form.status).toBe(403);
      const get = await fetch(`${t.url}/console/auth/refresh`, { headers: HEADER });
      expect(get.status).toBe(405);
    });

    it('answers no preflight, so another origin’s page cannot send the header', async () => {
      const preflight = await fetch(`${t.url}/console/auth/login`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-herald-console,content-type' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
    });

    it('says what is wrong in words, with a code, and sets no cookie', async () => {
      const wrong = await auth('login', { email: uniqueEmail('nobody'), password: 'not the password' });
      expect(wrong.status).toBe(401);
      expect(cookieOf(wrong)).toBe('');
      expect(await wrong.json()).toEqual({ errors: [{ message: 'Email or password is incorrect.', extensions: { code: 'UNAUTHENTICATED' } }] });

      const missing = await auth('register', { email: uniqueEmail(), password: PASSWORD });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'name' } }] });

      const notJson = await fetch(`${t.url}/console/auth/login`, { method: 'POST', headers: HEADER, body: '{"email":' });
      expect(notJson.status).toBe(400);
      const text = await notJson.text();
      expect(text).not.toMatch(/at \w+ \(/); // no stack trace
    });

    it('changes the password of the bearer: this session gets a new cookie, the others end', async () => {
      const email = uniqueEmail('change-password');
      await signUp(t, email);
      const here = await auth('login', { email, password: PASSWORD });
      const { accessToken } = ((await here.json()) as { data: { accessToken: string } }).data;
      const elsewhere = tokenIn(cookieOf(await auth('login', { email, password: PASSWORD })));
      const change = (body: unknown, headers: Record<string, string>) => auth('change-password', body, headers);
      const bearer = { ...HEADER, authorization: `Bearer ${accessToken}` };

      // Not signed in, a forged token, no CSRF header: refused, no cookie, nothing changed.
      const anonymous = await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, HEADER);
      expect(anonymous.status).toBe(401);
      expect(cookieOf(anonymous)).toBe('');
      expect((await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { ...HEADER, authorization: 'Bearer forged' })).status).toBe(401);
      const { 'x-herald-console': _, ...withoutCsrf } = bearer;
      expect((await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, withoutCsrf)).status).toBe(403);
      // The wrong current password, a weak new one: said in words, with the field.
      const wrong = await change({ currentPassword: 'not my password', newPassword: NEW_PASSWORD }, bearer);
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ errors: [{ message: 'This is not your current password.', extensions: { code: 'BAD_USER_INPUT', field: 'currentPassword' } }] });
      expect(cookieOf(wrong)).toBe('');
      const weak = await change({ currentPassword: PASSWORD, newPassword: 'short' }, bearer);
      expect(await weak.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'newPassword' } }] });

      const changed = await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, bearer);
      expect(changed.status).toBe(200);
      const cookie = tokenIn(cookieOf(changed));
      expect(cookie).not.toBe('');
      expect(((await changed.json()) as { data: { accessToken: string } }).data.accessToken).toEqual(expect.any(String));
      // This tab's new cookie resumes the session; the other session's does not; the new password signs in.
      const resumed = await auth('refresh', {}, { ...HEADER, cookie: `__Host-herald-refresh=${cookie}` });
      expect(((await resumed.json()) as { data: { accessToken: string } | null }).data?.accessToken).toEqual(expect.any(String));
      expect(await (await auth('refresh', {}, { ...HEADER, cookie: `__Host-herald-refresh=${elsewhere}` })).json()).toEqual({ data: null });
      expect((await auth('login', { email, password: PASSWORD })).status).toBe(401);
      expect((await auth('login', { email, password: NEW_PASSWORD })).status).toBe(200);
    });

    it('resumes nothing without a cookie, or with a forged one', async () => {
      expect(await (await auth('refresh', {})).json()).toEqual({ data: null });
      const forged = await auth('refresh', {}, { ...HEADER, cookie: '__Host-herald-refresh=forged-token' });
      expect(forged.status).toBe(200);
      expect(await forged.json()).toEqual({ data: null });
    });
  });
});
