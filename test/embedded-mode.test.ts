import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './support/free-port';
import { gql, LOGIN, ME, REGISTER, type GraphQLResponse } from './support/graphql-client';
import { uniqueEmail } from './support/herald';
import { read, tokenIn } from './support/mailbox';
import { VERIFY_EMAIL } from './support/tenants';
import { envWithout, killServerProcesses, startServerProcess, type ServerProcess } from './support/server-process';
import { waitFor } from './support/wait';

/**
 * Embedded mode, through the real start path: no DATABASE_URL, REDIS_URL or SMTP_URL, so Herald
 * runs PGlite under DATA_DIR, an in-process PubSub and writes mail as .eml files.
 */
const HERALD_VARIABLES = [
  'DATABASE_URL', 'REDIS_URL', 'REDIS_PREFIX', 'SMTP_URL', 'MAIL_FROM', 'JWT_SECRET', 'NODE_ENV', 'PORT', 'HOST',
  'DATA_DIR', 'LOG_LEVEL', 'PASSWORD_HASH_COST', 'SHUTDOWN_TIMEOUT_MS', 'ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL',
  'PLATFORM_ADMIN_EMAILS', 'RATE_LIMIT_AUTH_PER_MINUTE', 'TRUST_PROXY', 'TEST_PAUSE_BEFORE_PUBLISH', 'SECRET_KEY', 'PUBLIC_URL',
];
const SHUTDOWN_TIMEOUT_MS = 10_000;
const PASSWORD = 'an embedded password';
const isReady = (line: { msg?: string }) => line.msg?.startsWith('Herald is ready') ?? false;

let dataDir: string;
let port: number;
let url: string;
/** The first process, started cold on the empty DATA_DIR by beforeAll; the last test stops it. */
let first: ServerProcess;
let coldStartMs: number;

function startHerald(onPort = port): ServerProcess {
  return startServerProcess({
    ...envWithout(...HERALD_VARIABLES),
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(onPort),
    DATA_DIR: dataDir,
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  });
}

/** Starts Herald and waits for its ready line; returns the process and how long that took. */
async function startAndWait(): Promise<{ server: ServerProcess; ms: number }> {
  const started = performance.now();
  const server = startHerald();
  await server.waitForLog(isReady, { timeoutMs: 120_000, what: '"Herald is ready"' });
  return { server, ms: Math.round(performance.now() - started) };
}

/** Registers a new account over HTTP; returns its email once the welcome .eml is written, and the link token in it. */
async function registerWithWelcome(label: string): Promise<{ email: string; eml: string; verifyToken: string }> {
  const email = uniqueEmail(label);
  const registered = await gql(url, REGISTER, { input: { email, password: PASSWORD, name: 'Embedded Ada' } });
  expect(registered.errors).toBeUndefined();
  const mailDir = path.join(dataDir, 'mail');
  const eml = await waitFor(
    async () => {
      const files = (await readdir(mailDir).catch(() => [])).filter((file) => file.endsWith('.eml'));
      const contents = await Promise.all(files.map((file) => readFile(path.join(mailDir, file), 'utf8')));
      return contents.find((text) => text.includes(`To: ${email}`));
    },
    { timeoutMs: 20_000, what: `a welcome .eml to ${email}` },
  );
  const decoded = await read(eml);
  return { email, eml, verifyToken: tokenIn(decoded.text, '/console/verify-email')! };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'herald-embedded-'));
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const { server, ms } = await startAndWait();
  first = server;
  coldStartMs = ms;
}, 150_000);
afterAll(async () => {
  await killServerProcesses();
  await rm(dataDir, { recursive: true, force: true });
});

describe('embedded mode (no DATABASE_URL, REDIS_URL or SMTP_URL)', () => {
  it('starts cold on an empty DATA_DIR, with PGlite, an in-process PubSub and mail as files', () => {
    console.log(`embedded cold start (empty DATA_DIR, initdb): ${coldStartMs} ms`);
    expect(first.logs.find(isReady)).toMatchObject({ database: 'embedded', pubsub: 'in-process', mail: 'files' });
  });

  it('says that the JWT secret was generated', () => {
    expect(first.logs.map((line) => line.msg)).toContainEqual(expect.stringMatching(/JWT_SECRET is not set: using a random secret/));
  });

  it('answers /readyz with 200, the database and the pubsub reachable', async () => {
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { database: true, pubsub: true } });
  });

  it('registers and logs in over HTTP', async () => {
    const email = uniqueEmail('embedded');
    const registered = await gql(url, REGISTER, { input: { email, password: PASSWORD, name: 'Embedded Ada' } });
    expect(registered.errors).toBeUndefined();
    const login = await gql(url, LOGIN, { input: { email, password: PASSWORD } });
    expect(login.errors).toBeUndefined();
    expect((await gql(url, ME, {}, { token: login.data!.login.accessToken })).data!.me.email).toBe(email);
  });

  it('writes the welcome email as an .eml file under DATA_DIR/mail', async () => {
    const { eml, verifyToken } = await registerWithWelcome('welcome');
    expect(eml).toMatch(/^Subject: Welcome to Herald: please confirm your email address$/m);
    const decoded = await read(eml);
    expect(decoded.text).toContain('Hello Embedded Ada');
    expect(decoded.text).toContain(`${url}/console/verify-email?token=${verifyToken}`);
    // No SECRET_KEY: the master key was made once, readable by its owner only.
    expect((await stat(path.join(dataDir, 'secret.key'))).mode & 0o777).toBe(0o600);
  });

  it('refuses to start a second process on the same DATA_DIR, saying the directory is in use', async () => {
    const second = startHerald(await freePort());
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.logs.map((line) => line.msg)).toContainEqual(
      expect.stringMatching(/embedded database in .* is in use by another Herald process; stop it, or set DATA_DIR/),
    );
    expect((await fetch(`${url}/healthz`)).status).toBe(200); // the first one is unharmed
  }, 60_000);

  // Last in the file: it stops the first process.
  it('on SIGTERM (twice), lets the registrations in flight finish with 200 and exits 0; started warm on the same DATA_DIR, the account and its emailed link still work', async () => {
    const before = await registerWithWelcome('restart');
    // Each registration costs a full scrypt hash (PASSWORD_HASH_COST is standard here), so eight
    // of them on two cores keep the server busy for a while after the first one answers.
    const answered: { response: GraphQLResponse; at: number }[] = [];
    const registrations = Array.from({ length: 8 }, (_, i) =>
      gql(url, REGISTER, { input: { email: uniqueEmail(`inflight${i}`), password: PASSWORD, name: 'In Flight' } }).then(
        (response) => answered.push({ response, at: performance.now() }),
      ),
    );
    await waitFor(() => answered.length > 0, { timeoutMs: 30_000, what: 'the first registration to answer' });

    const signalledAt = performance.now();
    first.signal('SIGTERM');
    // An impatient orchestrator (or a second Ctrl-C) signals again: that must not cut the drain short.
    await first.waitForLog((line) => line.msg === 'shutting down', { timeoutMs: 10_000, what: '"shutting down"' });
    first.signal('SIGTERM');
    await Promise.all(registrations);
    const { code } = await first.exited;

    expect(code).toBe(0); // main.ts exits 1 when the shutdown outlasts SHUTDOWN_TIMEOUT_MS
    expect(answered.map(({ response }) => [response.status, response.errors])).toEqual(
      Array.from({ length: 8 }, () => [200, undefined]),
    );
    expect(answered.filter(({ at }) => at > signalledAt).length).toBeGreaterThan(0); // some were in flight
    expect(first.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down', 'Herald stopped']));

    const { server, ms } = await startAndWait();
    console.log(`embedded warm start (existing DATA_DIR): ${ms} ms`);
    const login = await gql(url, LOGIN, { input: { email: before.email, password: PASSWORD } });
    expect(login.errors).toBeUndefined();
    expect(login.data!.login.user.email).toBe(before.email);
    // The link emailed before the restart still works: the master key outlived the process.
    const verified = await gql(url, VERIFY_EMAIL, { token: before.verifyToken });
    expect(verified.errors).toBeUndefined();
    expect(verified.data!.verifyEmail.emailVerified).toBe(true);

    server.signal('SIGTERM');
    expect((await server.exited).code).toBe(0);
  }, 240_000);
});
