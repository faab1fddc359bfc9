import { randomBytes } from 'node:crypto';
import { JWT_SECRET } from './support/env';
import { LOGIN, LOGOUT, ME, REFRESH, REGISTER, errorCode, type GraphQLResponse } from './support/graphql-client';
import { startHeraldCluster, type HeraldCluster, type HeraldInstance } from './support/herald-cluster';
import { uniqueEmail } from './support/herald';
import { CREATE_TENANT, uniqueSlug } from './support/tenants';
import { waitFor } from './support/wait';
import { SECURITY_EVENTS, connect } from './support/ws-client';

/**
 * No password, password hash or token leaves Herald except where it must (issues 3 and 8): drive
 * every auth flow and a tenant's creation through the real process, then scan what it produced
 * for each secret used: every event's payload and context, every line it wrote to stdout and
 * stderr (at trace level), every email, every response body and subscription message. Only the
 * register, login and refreshToken answers may carry tokens.
 */
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const WRONG_PASSWORD = `wrong-${randomBytes(12).toString('hex')}`;

let cluster: HeraldCluster;
let herald: HeraldInstance;
const email = uniqueEmail('secrets');
beforeAll(async () => {
  // A platform admin, so the tenant's creation mails the admins too: one more email to scan.
  cluster = await startHeraldCluster({ env: { LOG_LEVEL: 'trace', PLATFORM_ADMIN_EMAILS: email } });
  herald = await cluster.start();
}, 120_000);
afterAll(() => cluster?.close(), 60_000);

it('keeps passwords, hashes and tokens out of events, logs, emails and responses', async () => {
  const mayCarryTokens: GraphQLResponse[] = [];
  const mustNot: { what: string; text: string }[] = [];
  let calls = 0;
  const call = async (what: string, query: string, variables: Record<string, unknown>, token?: string) => {
    const response = await herald.gql(query, variables, { token, timeoutMs: 30_000 });
    calls++;
    mustNot.push({ what: `${what} response headers`, text: JSON.stringify([...response.headers]) });
    return response;
  };
  const issuing = async (what: string, query: string, variables: Record<string, unknown>, field: string) => {
    const response = await call(what, query, variables);
    expect(response.errors).toBeUndefined();
    mayCarryTokens.push(response);
    return response.data![field] as { accessToken: string; refreshToken: string };
  };
  const plain = async (what: string, query: string, variables: Record<string, unknown>, token?: string) => {
    const response = await call(what, query, variables, token);
    mustNot.push({ what: `${what} response`, text: response.text });
    return response;
  };

  const registered = await issuing('register', REGISTER, { input: { email, password: PASSWORD, name: 'Secret Keeper' } }, 'register');
  const ws = connect(herald.url, registered.accessToken);
  const live = ws.subscribe(SECURITY_EVENTS);
  expect(errorCode(await plain('failed login', LOGIN, { input: { email, password: WRONG_PASSWORD } }))).toBe('UNAUTHENTICATED');
  const loggedIn = await issuing('login', LOGIN, { input: { email, password: PASSWORD } }, 'login');
  const refreshed = await issuing('refreshToken', REFRESH, { token: loggedIn.refreshToken }, 'refreshToken');
  expect((await plain('me', ME, {}, refreshed.accessToken)).data!.me.email).toBe(email);
  const created = await plain('createTenant', CREATE_TENANT, { input: { name: 'Secret Co', slug: uniqueSlug('secret') } }, refreshed.accessToken);
  const tenantId = created.data!.createTenant.id;
  expect((await plain('logout', LOGOUT, { refreshToken: refreshed.refreshToken }, refreshed.accessToken)).data!.logout).toBe(true);
  expect(errorCode(await plain('refresh after logout', REFRESH, { token: refreshed.refreshToken }))).toBe('UNAUTHENTICATED');

  // Everything the flows set off has run: onboarding finished, every delivery done, mail sent.
  await waitFor(async () => {
    const [tenant] = await cluster.db.query<{ status: string }>(`SELECT status FROM tenants WHERE id = $1`, [tenantId]);
    const open = await cluster.db.query(`SELECT id FROM deliveries WHERE status IN ('pending', 'running')`);
    return tenant?.status === 'ACTIVE' && open.length === 0;
  }, { timeoutMs: 60_000, intervalMs: 200, what: 'the tenant to be ACTIVE and every delivery done' });
  await waitFor(() => live.results.some((r) => r.data?.securityEvents.name === 'auth.logout'), {
    timeoutMs: 10_000,
    what: 'the security events on the subscription, up to the logout',
  });
  await ws.dispose();
  // Log lines travel through a pipe: scan once the last run's line has arrived.
  const [{ done }] = await cluster.db.query<{ done: number }>(`SELECT count(*)::int AS done FROM deliveries`);
  await waitFor(() => herald.completedRuns().length >= done, { what: 'every "listener done" line' });

  const [{ password_hash: passwordHash }] = await cluster.db.query<{ password_hash: string }>(
    `SELECT password_hash FROM users WHERE email = $1`,
    [email],
  );
  // (An access token refreshed within the second it was issued is the same JWT: same session, same iat.)
  const tokens = [...new Set([registered, loggedIn, refreshed].flatMap((pair) => [pair.accessToken, pair.refreshToken]))];
  const secrets: Record<string, string> = {
    password: PASSWORD,
    'wrong password': WRONG_PASSWORD,
    'password hash': passwordHash,
    'JWT secret': JWT_SECRET,
    ...Object.fromEntries(tokens.map((token, i) => [`token ${i}`, token])),
    // A token cut short (a log line truncating it) still gives its signature away.
    ...Object.fromEntries(tokens.filter((t) => t.includes('.')).map((t, i) => [`access token ${i} signature`, t.split('.')[2]])),
  };

  const events = await cluster.db.query<{ name: string; payload: string; context: string }>(
    `SELECT name, payload::text, context::text FROM events ORDER BY seq`,
  );
  const emails = await cluster.db.query<{ template: string; body: string }>(
    `SELECT template, subject || text_body || html_body AS body FROM email_messages`,
  );
  const haystacks = [
    ...events.map((e) => ({ what: `event ${e.name}`, text: `${e.payload} ${e.context}` })),
    ...herald.server.logs.map((line) => ({ what: `log line "${line.msg}"`, text: JSON.stringify(line) })),
    { what: 'stderr', text: herald.server.stderr() },
    ...cluster.smtp.messages.map((m) => ({ what: `email "${m.subject}"`, text: m.raw })),
    ...emails.map((e) => ({ what: `email log ${e.template}`, text: e.body })),
    ...live.results.map((r) => ({ what: 'subscription message', text: JSON.stringify(r) })),
    ...mustNot,
  ];
  const leaks = Object.entries(secrets).flatMap(([secret, value]) =>
    haystacks.filter((h) => h.text.includes(value)).map((h) => `${secret} in ${h.what}`),
  );
  console.log(
    `scanned ${events.length} events, ${herald.server.logs.length} log lines, ${cluster.smtp.messages.length} emails, ` +
      `${mustNot.length - calls} response bodies (and the headers of all ${calls}) and ${live.results.length} subscription ` +
      `messages for ${Object.keys(secrets).length} secrets`,
  );
  expect(leaks).toEqual([]);
  // The scan could see them: each token is in an answer that issued it.
  for (const token of tokens) expect(mayCarryTokens.some((r) => r.text.includes(token))).toBe(true);
  expect(events.length).toBeGreaterThan(20);
  expect(cluster.smtp.messages.map((m) => m.subject)).toContain('Welcome to Herald');
  expect(cluster.smtp.messages.length).toBeGreaterThanOrEqual(3); // welcome, admin notice, setup guide
}, 180_000);
