import { randomBytes } from 'node:crypto';
import { JWT_SECRET, SECRET_KEY } from './support/env';
import { LOGIN, LOGOUT, ME, REFRESH, REGISTER, errorCode, type GraphQLResponse } from './support/graphql-client';
import { startHeraldCluster, type HeraldCluster, type HeraldInstance } from './support/herald-cluster';
import { uniqueEmail } from './support/herald';
import { CREATE_TENANT, INVITE_MEMBER, VERIFY_EMAIL, uniqueSlug } from './support/tenants';
import { read, waitForLinkToken } from './support/mailbox';
import { waitFor } from './support/wait';
import { SECURITY_EVENTS, connect } from './support/ws-client';
import { UNFINISHED } from './support/deliveries';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';
import { CREATE_ENDPOINT, ROTATE_SECRET } from './support/webhooks';

/**
 * No password, password hash or token leaves Herald except where it must (issues 3, 8 and 12):
 * drive every auth flow (verification, reset, change of password, an invitation) and a tenant's
 * creation through the real process, then scan what it produced for each secret used: every
 * event's payload and context, every line it wrote to stdout and stderr (at trace level), every
 * email, the email log, every response body and subscription message. Only the register, login,
 * refreshToken and changePassword answers may carry tokens, and an emailed link's token only the
 * email that carries it (not even the email log, which keeps a placeholder).
 */
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const WRONG_PASSWORD = `wrong-${randomBytes(12).toString('hex')}`;
const RESET_PASSWORD = `reset-${randomBytes(12).toString('hex')}`;
const CHANGED_PASSWORD = `changed-${randomBytes(12).toString('hex')}`;

let cluster: HeraldCluster;
let receiver: WebhookReceiver;
let herald: HeraldInstance;
const email = uniqueEmail('secrets');
beforeAll(async () => {
  // A platform admin, so the tenant's creation mails the admins too: one more email to scan.
  // Webhooks go to a receiver on loopback, on a short schedule (one failed attempt, then success).
  receiver = await startWebhookReceiver();
  cluster = await startHeraldCluster({
    env: { LOG_LEVEL: 'trace', PLATFORM_ADMIN_EMAILS: email, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_SCHEDULE: '0,200ms,200ms' },
  });
  herald = await cluster.start();
}, 120_000);
afterAll(async () => {
  await cluster?.close();
  await receiver?.close();
}, 60_000);

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
  // Device tokens (DESIGN §6b): issued by a sign-in, presented by the next ones, kept out of everything else.
  const LOGIN_DEVICE = `mutation($input: LoginInput!) { login(input: $input) { deviceToken } }`;
  const device = await call('login for a device token', LOGIN_DEVICE, { input: { email, password: PASSWORD } });
  mayCarryTokens.push(device);
  const deviceToken = device.data!.login.deviceToken as string;
  mayCarryTokens.push(await call('login with the device token', LOGIN_DEVICE, { input: { email, password: PASSWORD, deviceToken } }));
  expect(errorCode(await plain('failed login with the device token', LOGIN_DEVICE, { input: { email, password: WRONG_PASSWORD, deviceToken } }))).toBe('UNAUTHENTICATED');
  const refreshed = await issuing('refreshToken', REFRESH, { token: loggedIn.refreshToken }, 'refreshToken');
  const verifyToken = await waitForLinkToken(cluster.smtp, email, '/console/verify-email');
  expect((await plain('verifyEmail', VERIFY_EMAIL, { token: verifyToken })).data!.verifyEmail.emailVerified).toBe(true);
  expect((await plain('me', ME, {}, refreshed.accessToken)).data!.me.email).toBe(email);
  const created = await plain('createTenant', CREATE_TENANT, { input: { name: 'Secret Co', slug: uniqueSlug('secret') } }, refreshed.accessToken);
  const tenantId = created.data!.createTenant.id;
  const invitee = uniqueEmail('invitee');
  expect((await plain('inviteMember', INVITE_MEMBER, { tenantId, email: invitee, role: 'MEMBER' }, refreshed.accessToken)).errors).toBeUndefined();
  const invitationToken = await waitForLinkToken(cluster.smtp, invitee, '/console/invitations/accept');

  // A webhook endpoint: its secret is in the answers that create and rotate it, and nowhere else
  // (its first attempt fails, so the failure paths log too).
  let webhookCalls = 0;
  receiver.answer('/secrets', () => (++webhookCalls === 1 ? { status: 500 } : { status: 204 }));
  const endpoint = await call('createWebhookEndpoint', CREATE_ENDPOINT, { tenantId, input: { url: `${receiver.url}/secrets` } }, refreshed.accessToken);
  expect(endpoint.errors).toBeUndefined();
  const rotation = await call('rotateWebhookSecret', ROTATE_SECRET, { id: endpoint.data!.createWebhookEndpoint.endpoint.id }, refreshed.accessToken);
  expect(rotation.errors).toBeUndefined();
  const webhookSecrets = [endpoint.data!.createWebhookEndpoint.secret as string, rotation.data!.rotateWebhookSecret.secret as string];
  mayCarryTokens.push(endpoint, rotation);
  await waitFor(() => live.results.some((r) => r.data?.securityEvents.name === 'auth.token.refreshed'), {
    timeoutMs: 10_000,
    what: 'the security events on the subscription, up to the refresh',
  });

  // A forgotten password: the reset ends every session (the subscription's socket closes).
  expect((await plain('requestPasswordReset', `mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: email })).data).toEqual({ requestPasswordReset: true });
  const resetToken = await waitForLinkToken(cluster.smtp, email, '/console/reset-password');
  const reset = await plain('resetPassword', `mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }`, { t: resetToken, p: RESET_PASSWORD });
  expect(reset.data).toEqual({ resetPassword: true });
  const afterReset = await issuing('login after reset', LOGIN, { input: { email, password: RESET_PASSWORD } }, 'login');
  const changed = await call(
    'changePassword',
    `mutation($c: String!, $p: String!) { changePassword(currentPassword: $c, newPassword: $p) { accessToken refreshToken } }`,
    { c: RESET_PASSWORD, p: CHANGED_PASSWORD },
    afterReset.accessToken,
  );
  expect(changed.errors).toBeUndefined();
  mayCarryTokens.push(changed);
  const current = changed.data!.changePassword as { accessToken: string; refreshToken: string };
  expect((await plain('logout', LOGOUT, { refreshToken: current.refreshToken }, current.accessToken)).data!.logout).toBe(true);
  expect(errorCode(await plain('refresh after logout', REFRESH, { token: current.refreshToken }))).toBe('UNAUTHENTICATED');

  // Everything the flows set off has run: onboarding finished, every delivery done, mail sent.
  await waitFor(async () => {
    const [tenant] = await cluster.db.query<{ status: string }>(`SELECT status FROM tenants WHERE id = $1`, [tenantId]);
    const open = await cluster.db.query(`SELECT id FROM deliveries WHERE ${UNFINISHED}`);
    return tenant?.status === 'ACTIVE' && open.length === 0;
  }, { timeoutMs: 60_000, intervalMs: 200, what: 'the tenant to be ACTIVE and every delivery done' });
  await ws.dispose();
  // Log lines travel through a pipe: scan once the last run's line has arrived.
  const [{ done }] = await cluster.db.query<{ done: number }>(`SELECT count(*)::int AS done FROM deliveries WHERE status = 'done'`);
  await waitFor(() => herald.completedRuns().length >= done, { what: 'every "listener done" line' });

  const [{ password_hash: passwordHash }] = await cluster.db.query<{ password_hash: string }>(
    `SELECT password_hash FROM users WHERE email = $1`,
    [email],
  );
  // (An access token refreshed within the second it was issued is the same JWT: same session, same iat.)
  const tokens = [...new Set([registered, loggedIn, refreshed, afterReset, current].flatMap((pair) => [pair.accessToken, pair.refreshToken]))];
  const secrets: Record<string, string> = {
    password: PASSWORD,
    'wrong password': WRONG_PASSWORD,
    'password set by the reset': RESET_PASSWORD,
    'password set by changePassword': CHANGED_PASSWORD,
    'password hash': passwordHash,
    'JWT secret': JWT_SECRET,
    'secret key': SECRET_KEY,
    ...Object.fromEntries(webhookSecrets.flatMap((secret, i) => [[`webhook secret ${i}`, secret], [`webhook secret ${i} key`, secret.slice(6)]])),
    ...Object.fromEntries(tokens.map((token, i) => [`token ${i}`, token])),
    'device token signature': deviceToken.split('.')[2],
    // A token cut short (a log line truncating it) still gives its signature away.
    ...Object.fromEntries(tokens.filter((t) => t.includes('.')).map((t, i) => [`access token ${i} signature`, t.split('.')[2]])),
  };

  const events = await cluster.db.query<{ name: string; payload: string; context: string }>(
    `SELECT name, payload::text, context::text FROM events ORDER BY seq`,
  );
  const emails = await cluster.db.query<{ template: string; body: string }>(
    `SELECT template, subject || text_body || html_body AS body FROM email_messages`,
  );
  const mails = await Promise.all(cluster.smtp.messages.map((m) => read(m.raw)));
  const haystacks: { what: string; text: string; mail?: boolean }[] = [
    ...events.map((e) => ({ what: `event ${e.name}`, text: `${e.payload} ${e.context}` })),
    ...herald.server.logs.map((line) => ({ what: `log line "${line.msg}"`, text: JSON.stringify(line) })),
    { what: 'stderr', text: herald.server.stderr() },
    // Decoded too: quoted-printable can split a secret across lines of the raw message.
    ...cluster.smtp.messages.map((m) => ({ what: `email "${m.subject}"`, text: m.raw, mail: true })),
    ...mails.map((m) => ({ what: `email "${m.subject}" (decoded)`, text: `${m.subject} ${m.text} ${m.html}`, mail: true })),
    ...emails.map((e) => ({ what: `email log ${e.template}`, text: e.body })),
    ...live.results.map((r) => ({ what: 'subscription message', text: JSON.stringify(r) })),
    ...mustNot,
  ];
  // An emailed link's token belongs in the email that carries it, and nowhere else.
  const linkTokens: Record<string, string> = {
    'verification link token': verifyToken,
    'invitation link token': invitationToken,
    'reset link token': resetToken,
  };
  const notMail = haystacks.filter((h) => !h.mail);
  const leaks = [
    ...Object.entries(secrets).flatMap(([secret, value]) => haystacks.filter((h) => h.text.includes(value)).map((h) => `${secret} in ${h.what}`)),
    ...Object.entries(linkTokens).flatMap(([secret, value]) => notMail.filter((h) => h.text.includes(value)).map((h) => `${secret} in ${h.what}`)),
  ];
  console.log(
    `scanned ${events.length} events, ${herald.server.logs.length} log lines, ${cluster.smtp.messages.length} emails, ` +
      `${mustNot.length - calls} response bodies (and the headers of all ${calls}) and ${live.results.length} subscription ` +
      `messages for ${Object.keys(secrets).length + Object.keys(linkTokens).length} secrets`,
  );
  expect(leaks).toEqual([]);
  // The scan could see them: each token is in an answer that issued it.
  for (const token of tokens) expect(mayCarryTokens.some((r) => r.text.includes(token))).toBe(true);
  // Webhooks ran (and failed once) while the logs were written.
  expect(receiver.at('/secrets').length).toBeGreaterThan(3);
  expect(events.length).toBeGreaterThan(20);
  expect(cluster.smtp.messages.map((m) => m.subject)).toContain('Welcome to Herald: please confirm your email address');
  // welcome, admin notice, setup guide, invitation, reset link, two notices of a changed password
  expect(cluster.smtp.messages.length).toBeGreaterThanOrEqual(7);
  // ... and the scan sees link tokens: each is in its email.
  for (const token of Object.values(linkTokens)) expect(mails.some((m) => m.text.includes(token))).toBe(true);
}, 180_000);
