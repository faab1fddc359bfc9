import { PasswordHasher, SCRYPT_PARAMS_LOW } from '../src/auth/password-hasher';
import { createDataSource, migrate } from '../src/db/data-source';
import { createTestDatabase } from './support/database';
import {
  CHANGE_EMAIL,
  CHANGE_PASSWORD,
  REQUEST_RESET,
  RESEND_VERIFICATION,
  RESET_PASSWORD,
  REVOKE_SESSION,
  SESSIONS,
  makeDueNow,
} from './support/accounts';
import { LOGIN, ME, REFRESH, REGISTER, errorCode, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { inbox, tokenIn, waitForLinkToken } from './support/mailbox';
import { VERIFY_EMAIL, signUp } from './support/tenants';
import { waitFor } from './support/wait';
import { connect } from './support/ws-client';

/**
 * Trusted accounts over real HTTP and WebSocket, with real PostgreSQL, Redis and an SMTP sink:
 * verification, trust, reset, sessions, change of password and address, the refresh grace window,
 * and the password rules. Every token is read from the email, as its recipient would.
 */
const ADMIN_EMAIL = uniqueEmail('listed-admin');
const SUPPORT_EMAIL = uniqueEmail('support-admin');
const PASSWORD = 'correct horse battery';
let t: TestHerald;

beforeAll(async () => {
  t = await startTestHerald({ PLATFORM_ADMIN_EMAILS: `${ADMIN_EMAIL},${SUPPORT_EMAIL}`, EMAIL_REQUESTS_PER_ADDRESS_PER_HOUR: '3' });
});
afterAll(() => t.stop());

const must = async (response: Promise<GraphQLResponse>) => {
  const settled = await response;
  if (settled.errors) throw new Error(JSON.stringify(settled.errors));
  return settled.data!;
};
const signIn = (email: string, password = PASSWORD) => must(t.gql(LOGIN, { input: { email, password } })).then((d) => d.login);
const eventsNamed = (name: string, userId: string) =>
  t.db.query<{ payload: Record<string, unknown>; actor_id: string | null }>(
    `SELECT payload, actor_id FROM events WHERE name = $1 AND (payload->>'userId' = $2 OR actor_id = $2::uuid) ORDER BY seq`,
    [name, userId],
  );

describe('email verification', () => {
  it('sends one email at registration that welcomes and carries a single-use link; the link verifies the address', async () => {
    const account = await signUp(t);
    expect((await must(t.gql(ME, {}, account.token))).me).toMatchObject({ id: account.userId });
    expect((await must(t.gql('{ me { emailVerified } }', {}, account.token))).me.emailVerified).toBe(false);

    const token = await waitForLinkToken(t.smtp, account.email, '/console/verify-email');
    const mails = await inbox(t.smtp, account.email);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe('Welcome to Herald: please confirm your email address');
    expect(mails[0].text).toContain(`${t.url}/console/verify-email?token=${token}`);
    expect(token.length).toBeGreaterThanOrEqual(22); // ≥ 128 bits in base64url
    // The database keeps a hash of the token and a placeholder in the email log, never the token.
    const stored = await t.db.query(`SELECT 1 FROM email_messages WHERE text_body LIKE $1 OR html_body LIKE $1`, [`%${token}%`]);
    expect(stored).toEqual([]);

    const verified = await must(t.gql(VERIFY_EMAIL, { token }));
    expect(verified.verifyEmail).toMatchObject({ id: account.userId, emailVerified: true });
    expect((await must(t.gql('{ me { emailVerified } }', {}, account.token))).me.emailVerified).toBe(true);
    expect(await eventsNamed('user.email.verified', account.userId)).toHaveLength(1);

    const again = await t.gql(VERIFY_EMAIL, { token });
    expect([errorCode(again), again.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'token']);
    expect(again.errors![0].message).toMatch(/used already/);
    expect(await eventsNamed('user.email.verified', account.userId)).toHaveLength(1);
  });

  it('refuses an expired link and a made-up one, saying which', async () => {
    const account = await signUp(t);
    const token = await waitForLinkToken(t.smtp, account.email, '/console/verify-email');
    // The link's lifetime passes (EMAIL_VERIFICATION_TTL, 48 h): its row's expiry moves to the past.
    await t.db.query(`UPDATE link_tokens SET expires_at = now() - interval '1 second' WHERE subject_id = $1`, [account.userId]);
    const expired = await t.gql(VERIFY_EMAIL, { token });
    expect(errorCode(expired)).toBe('BAD_USER_INPUT');
    expect(expired.errors![0].message).toMatch(/expired/);
    const madeUp = await t.gql(VERIFY_EMAIL, { token: token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) });
    expect(errorCode(madeUp)).toBe('BAD_USER_INPUT');
    expect(madeUp.errors![0].message).toMatch(/not valid/);
    expect((await must(t.gql('{ me { emailVerified } }', {}, account.token))).me.emailVerified).toBe(false);
  });

  it('resends a link on request, rate limited per address, and answers false once verified', async () => {
    const account = await signUp(t);
    await waitForLinkToken(t.smtp, account.email, '/console/verify-email');
    expect((await must(t.gql(RESEND_VERIFICATION, {}, account.token))).resendVerificationEmail).toBe(true);
    const second = await waitForLinkToken(t.smtp, account.email, '/console/verify-email', 2);
    // EMAIL_REQUESTS_PER_ADDRESS_PER_HOUR=3 here.
    for (let i = 0; i < 2; i++) await must(t.gql(RESEND_VERIFICATION, {}, account.token));
    const limited = await t.gql(RESEND_VERIFICATION, {}, account.token);
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    expect(limited.errors![0].extensions!.retryAfter).toBeGreaterThan(0);

    await must(t.gql(VERIFY_EMAIL, { token: second }));
    const other = await signUp(t, undefined, { verified: true });
    expect((await must(t.gql(RESEND_VERIFICATION, {}, other.token))).resendVerificationEmail).toBe(false);
  });

  it('reminds an unverified address after a day, by a delivery that waits in the database, and never once it is verified', async () => {
    const unverified = await signUp(t);
    const verified = await signUp(t, undefined, { verified: true });
    const reminders = await t.db.query<{ delay_h: number; status: string }>(
      `SELECT extract(epoch FROM d.due_at - e.occurred_at) / 3600 AS delay_h, d.status
       FROM deliveries d JOIN events e ON e.id = d.event_id
       WHERE d.listener = 'send-verification-reminder' AND e.payload->>'userId' = ANY($1)`,
      [[unverified.userId, verified.userId]],
    );
    expect(reminders).toHaveLength(2);
    for (const row of reminders) {
      expect(row.status).toBe('pending');
      expect(Number(row.delay_h)).toBeCloseTo(24, 2);
    }

    // The day passes.
    const events = await t.db.query<{ id: string }>(
      `SELECT id FROM events WHERE name = 'user.registered' AND payload->>'userId' = ANY($1)`,
      [[unverified.userId, verified.userId]],
    );
    expect(await makeDueNow(t, 'send-verification-reminder', events.map((e) => e.id))).toBe(2);
    await waitFor(async () => {
      const done = await t.db.query(
        `SELECT 1 FROM deliveries WHERE listener = 'send-verification-reminder' AND event_id = ANY($1) AND status = 'done'`,
        [events.map((e) => e.id)],
      );
      return done.length === 2;
    }, { what: 'both reminders to run' });
    const reminded = await waitForLinkToken(t.smtp, unverified.email, '/console/verify-email', 2);
    expect((await inbox(t.smtp, unverified.email)).at(-1)!.subject).toBe('Please confirm your email address');
    expect((await inbox(t.smtp, verified.email)).map((m) => m.subject)).toEqual(['Welcome to Herald: please confirm your email address']);
    expect((await must(t.gql(VERIFY_EMAIL, { token: reminded }))).verifyEmail.emailVerified).toBe(true);
  });
});

describe('trust rests on a verified address', () => {
  it('does not make a listed address a platform admin until it is verified, and says so in the logs', async () => {
    // Tried as an attacker would: register the listed address before its owner does.
    const squatter = await signUp(t, ADMIN_EMAIL);
    expect((await must(t.gql(ME, {}, squatter.token))).me.isPlatformAdmin).toBe(false);
    expect(errorCode(await t.gql('{ eventStats { events { name } } }', {}, squatter.token))).toBe('FORBIDDEN');
    await signIn(ADMIN_EMAIL);
    const warnings = t.logs.filter((line) => line.userId === squatter.userId && String(line.msg).includes('PLATFORM_ADMIN_EMAILS'));
    expect(warnings.length).toBeGreaterThanOrEqual(2); // at registration and at sign-in
    expect(t.logText()).not.toContain(`"${ADMIN_EMAIL}"`); // the id, never the address

    // The owner of the mailbox takes the account over with a reset, which proves the address:
    // admin from then on, and the squatter's sessions are over.
    await must(t.gql(REQUEST_RESET, { email: ADMIN_EMAIL }));
    const token = await waitForLinkToken(t.smtp, ADMIN_EMAIL, '/console/reset-password');
    await must(t.gql(RESET_PASSWORD, { token, newPassword: 'the real owner speaks' }));
    expect(errorCode(await t.gql(ME, {}, squatter.token))).toBe('UNAUTHENTICATED');
    const owner = await signIn(ADMIN_EMAIL, 'the real owner speaks');
    expect(owner.user.id).toBe(squatter.userId);
    expect((await must(t.gql(ME, {}, owner.accessToken))).me.isPlatformAdmin).toBe(true);
    expect(errorCode(await t.gql('{ eventStats { events { name } } }', {}, owner.accessToken))).toBeUndefined();
  });
});

describe('platform admins, derived', () => {
  it('resets, at migration, the admin flags sign-in used to store for listed addresses, and keeps explicit grants', async () => {
    const db = await createTestDatabase();
    const dataSource = createDataSource(db.url, { embedded: false, applicationName: 'herald-test:admin-flags' });
    try {
      await dataSource.initialize();
      await migrate(dataSource, false);
      await dataSource.undoLastMigration({ transaction: 'each' }); // back to before trusted accounts
      const [stored, granted] = ['01a22000-0000-7000-8000-000000000001', '01a22000-0000-7000-8000-000000000002'];
      for (const id of [stored, granted]) {
        await db.query(`INSERT INTO users (id, email, name, password_hash, is_platform_admin) VALUES ($1, $2, 'Ada', 'x', true)`, [id, `${id}@example.com`]);
      }
      // `herald admin grant` recorded this one's flag.
      await db.query(
        `INSERT INTO events (id, name, actor_id, payload, context) VALUES ($1, 'user.profile.updated', NULL, $2, '{}')`,
        ['01a22000-0000-7000-8000-0000000000e1', JSON.stringify({ userId: granted, fields: ['isPlatformAdmin'] })],
      );
      await migrate(dataSource, false);
      const flags = await db.query(`SELECT id, is_platform_admin FROM users ORDER BY id`);
      expect(flags).toEqual([
        { id: stored, is_platform_admin: false },
        { id: granted, is_platform_admin: true },
      ]);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    }
  });

  it('gives platform admins support tools, each refused to anyone else and recorded as theirs', async () => {
    await signUp(t, SUPPORT_EMAIL, { verified: true });
    const admin = await signIn(SUPPORT_EMAIL);
    const user = await signUp(t);
    const stranger = await signUp(t, undefined, { verified: true });
    const tools = [
      `mutation($e: String!) { unlockAccount(email: $e) }`,
      `mutation($e: String!) { sendVerificationEmail(email: $e) }`,
      `mutation($e: String!) { endUserSessions(email: $e) }`,
    ];
    for (const tool of tools) expect(errorCode(await t.gql(tool, { e: user.email }, stranger.token))).toBe('FORBIDDEN');

    await t.db.query(`INSERT INTO login_failure_counters (scope, key, failures, locked_until) VALUES ('account', $1, 0, now() + interval '15 minutes')`, [user.email]);
    expect(errorCode(await t.gql(LOGIN, { input: { email: user.email, password: PASSWORD } }))).toBe('RATE_LIMITED');
    expect((await must(t.gql(tools[0], { e: user.email }, admin.accessToken))).unlockAccount).toBe(true);
    await signIn(user.email);

    expect((await must(t.gql(tools[1], { e: user.email }, admin.accessToken))).sendVerificationEmail).toBe(true);
    const token = await waitForLinkToken(t.smtp, user.email, '/console/verify-email', 2);
    expect((await must(t.gql(VERIFY_EMAIL, { token }))).verifyEmail.emailVerified).toBe(true);
    expect(errorCode(await t.gql(tools[1], { e: user.email }, admin.accessToken))).toBe('CONFLICT');

    expect((await must(t.gql(tools[2], { e: user.email }, admin.accessToken))).endUserSessions).toBe(2);
    expect(errorCode(await t.gql(ME, {}, user.token))).toBe('UNAUTHENTICATED');
    const recorded = await t.db.query<{ name: string; actor_id: string }>(
      `SELECT name, actor_id FROM events WHERE payload->>'userId' = $1 AND name IN ('auth.account.unlocked', 'auth.session.revoked') ORDER BY seq`,
      [user.userId],
    );
    expect(recorded.map((e) => e.name)).toEqual(['auth.account.unlocked', 'auth.session.revoked', 'auth.session.revoked']);
    expect(recorded.every((e) => e.actor_id === admin.user.id)).toBe(true);
    expect(errorCode(await t.gql(tools[0], { e: uniqueEmail('nobody') }, admin.accessToken))).toBe('NOT_FOUND');
  });
});

describe('password reset', () => {
  it('answers true and does the same work for a known and an unknown address; only the known one gets an email', async () => {
    const known = await signUp(t);
    const unknown = uniqueEmail('nobody');
    const answers = [await t.gql(REQUEST_RESET, { email: known.email }), await t.gql(REQUEST_RESET, { email: unknown })];
    expect(answers.map((a) => a.text)).toEqual(['{"data":{"requestPasswordReset":true}}\n', '{"data":{"requestPasswordReset":true}}\n']);
    const recorded = await t.db.query<{ payload: { userId: string | null; email: string } }>(
      `SELECT payload FROM events WHERE name = 'auth.password.reset_requested' AND payload->>'email' = ANY($1) ORDER BY seq`,
      [[known.email, unknown]],
    );
    expect(recorded.map((r) => r.payload)).toEqual([
      { userId: known.userId, email: known.email },
      { userId: null, email: unknown },
    ]);
    await waitForLinkToken(t.smtp, known.email, '/console/reset-password');
    // The unknown address's delivery is done, and it sent nothing.
    await waitFor(async () => {
      const open = await t.db.query(
        `SELECT 1 FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE e.name = 'auth.password.reset_requested' AND d.status <> 'done'`,
      );
      return open.length === 0;
    }, { what: 'the reset deliveries to finish' });
    expect(t.smtp.to(unknown)).toEqual([]);
  });

  it('sets the password with a single-use link valid 30 minutes, verifies the address, ends every session on every instance, and sends a notice', async () => {
    const account = await signUp(t);
    const second = await signIn(account.email);
    const peer = await t.startPeer();
    const onPeer = connect(peer.url, second.accessToken);
    await onPeer.connected;
    const here = connect(t.url, account.token);
    await here.connected;

    await must(t.gql(REQUEST_RESET, { email: account.email }));
    const token = await waitForLinkToken(t.smtp, account.email, '/console/reset-password');
    const [link] = await t.db.query<{ minutes: number }>(
      `SELECT extract(epoch FROM expires_at - created_at) / 60 AS minutes FROM link_tokens WHERE subject_id = $1 AND purpose = 'reset_password'`,
      [account.userId],
    );
    expect(Number(link.minutes)).toBeCloseTo(30, 3);
    expect((await inbox(t.smtp, account.email)).at(-1)!.text).toMatch(/works once, for 30 minutes/);

    const weak = await t.gql(RESET_PASSWORD, { token, newPassword: '12345678' });
    expect([errorCode(weak), weak.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'newPassword']);
    expect((await must(t.gql(RESET_PASSWORD, { token, newPassword: 'a brand new password' }))).resetPassword).toBe(true);

    // Every session ended: access tokens refused, refresh tokens dead, sockets closed here and on the peer.
    expect(errorCode(await t.gql(ME, {}, account.token))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.gql(REFRESH, { token: second.refreshToken }))).toBe('UNAUTHENTICATED');
    expect((await here.closed).code).toBe(4403);
    expect((await onPeer.closed).code).toBe(4403);
    expect(errorCode(await t.gql(LOGIN, { input: { email: account.email, password: PASSWORD } }))).toBe('UNAUTHENTICATED');
    const signedIn = await signIn(account.email, 'a brand new password');
    expect((await must(t.gql('{ me { emailVerified } }', {}, signedIn.accessToken))).me.emailVerified).toBe(true);

    const used = await t.gql(RESET_PASSWORD, { token, newPassword: 'another new password' });
    expect(errorCode(used)).toBe('BAD_USER_INPUT');
    expect(used.errors![0].message).toMatch(/used already/);
    await waitFor(async () => (await inbox(t.smtp, account.email)).some((m) => m.subject === 'Your Herald password was changed'), {
      what: 'the notice',
    });
    expect((await eventsNamed('auth.password.reset', account.userId)).map((e) => e.payload)).toEqual([
      { userId: account.userId, sessionsEnded: 2 },
    ]);
  });

  it('refuses a link whose 30 minutes are over', async () => {
    const account = await signUp(t);
    await must(t.gql(REQUEST_RESET, { email: account.email }));
    const token = await waitForLinkToken(t.smtp, account.email, '/console/reset-password');
    await t.db.query(`UPDATE link_tokens SET expires_at = now() - interval '1 second' WHERE subject_id = $1`, [account.userId]);
    const late = await t.gql(RESET_PASSWORD, { token, newPassword: 'too late a password' });
    expect(errorCode(late)).toBe('BAD_USER_INPUT');
    expect(late.errors![0].message).toMatch(/expired/);
    await signIn(account.email); // the old password still works
  });
});

describe('sessions', () => {
  it('lists the live sessions with the current one marked, and revokes one: its refresh token and socket end', async () => {
    const account = await signUp(t);
    const phone = await signIn(account.email);
    const listed = (await must(t.gql(SESSIONS, {}, account.token))).sessions as { id: string; current: boolean; ip: string }[];
    expect(listed).toHaveLength(2);
    expect(listed.filter((s) => s.current)).toHaveLength(1);
    expect(listed.every((s) => s.ip.includes('127.0.0.1'))).toBe(true);
    const phoneSession = listed.find((s) => !s.current)!;

    const socket = connect(t.url, phone.accessToken);
    await socket.connected;
    expect((await must(t.gql(REVOKE_SESSION, { id: phoneSession.id }, account.token))).revokeSession).toBe(true);
    expect((await socket.closed).code).toBe(4403);
    expect(errorCode(await t.gql(REFRESH, { token: phone.refreshToken }))).toBe('UNAUTHENTICATED');
    expect((await must(t.gql(SESSIONS, {}, account.token))).sessions).toHaveLength(1);
    expect(await eventsNamed('auth.session.revoked', account.userId)).toHaveLength(1);

    // Someone else's session, an ended one and nonsense are all "no such session".
    const other = await signUp(t);
    const [otherSession] = (await must(t.gql(SESSIONS, {}, other.token))).sessions;
    for (const id of [otherSession.id, phoneSession.id, 'nonsense']) {
      expect(errorCode(await t.gql(REVOKE_SESSION, { id }, account.token))).toBe('NOT_FOUND');
    }
    expect((await must(t.gql(ME, {}, other.token))).me.id).toBe(other.userId);
  });

  it('changes the password with the current one: the other sessions end, this one goes on with a new pair', async () => {
    const account = await signUp(t);
    const other = await signIn(account.email);
    const wrong = await t.gql(CHANGE_PASSWORD, { current: 'not my password', next: 'a different password' }, account.token);
    expect([errorCode(wrong), wrong.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'currentPassword']);
    const common = await t.gql(CHANGE_PASSWORD, { current: PASSWORD, next: 'password' }, account.token);
    expect([errorCode(common), common.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'newPassword']);

    const changed = (await must(t.gql(CHANGE_PASSWORD, { current: PASSWORD, next: 'a different password' }, account.token))).changePassword;
    expect(errorCode(await t.gql(ME, {}, other.accessToken))).toBe('UNAUTHENTICATED');
    expect((await must(t.gql(ME, {}, account.token))).me.id).toBe(account.userId); // this session goes on
    expect((await must(t.gql(REFRESH, { token: changed.refreshToken }))).refreshToken.user.id).toBe(account.userId);
    await signIn(account.email, 'a different password');
    expect((await eventsNamed('auth.password.changed', account.userId)).map((e) => e.payload)).toEqual([
      { userId: account.userId, sessionsEnded: 1 },
    ]);
  });
});

describe('changing the address', () => {
  it('sends a link to the new address and a notice to the old; the address changes only when the link is used', async () => {
    const account = await signUp(t, undefined, { verified: true });
    const newEmail = uniqueEmail('moved');
    const wrong = await t.gql(CHANGE_EMAIL, { newEmail, password: 'not my password' }, account.token);
    expect(errorCode(wrong)).toBe('BAD_USER_INPUT');
    expect((await must(t.gql(CHANGE_EMAIL, { newEmail, password: PASSWORD }, account.token))).changeEmail).toBe(true);
    const token = await waitForLinkToken(t.smtp, newEmail, '/console/verify-email');
    await waitFor(async () => (await inbox(t.smtp, account.email)).some((m) => m.text.includes(newEmail)), { what: 'the notice to the old address' });
    expect((await inbox(t.smtp, account.email)).every((m) => tokenIn(m.text, '/console/verify-email') === null || m.subject.startsWith('Welcome'))).toBe(true);
    expect((await must(t.gql(ME, {}, account.token))).me.email).toBe(account.email); // not yet

    const verified = (await must(t.gql(VERIFY_EMAIL, { token }))).verifyEmail;
    expect(verified).toMatchObject({ email: newEmail, emailVerified: true });
    await signIn(newEmail);
    expect(errorCode(await t.gql(LOGIN, { input: { email: account.email, password: PASSWORD } }))).toBe('UNAUTHENTICATED');
    expect((await eventsNamed('user.email.changed', account.userId)).map((e) => e.payload)).toEqual([
      { userId: account.userId, from: account.email, to: newEmail },
    ]);
  });

  it('answers the same for an address another account has, whose owner gets a notice and no link', async () => {
    const account = await signUp(t);
    const taken = await signUp(t);
    expect((await must(t.gql(CHANGE_EMAIL, { newEmail: taken.email, password: PASSWORD }, account.token))).changeEmail).toBe(true);
    await waitFor(async () => (await inbox(t.smtp, taken.email)).some((m) => m.subject.startsWith('Someone tried')), {
      what: 'the notice to the taken address',
    });
    expect((await inbox(t.smtp, taken.email)).filter((m) => tokenIn(m.text, '/console/verify-email'))).toHaveLength(1); // its own welcome only
    expect((await must(t.gql(ME, {}, account.token))).me.email).toBe(account.email);
  });
});

describe('the refresh grace window', () => {
  it('hands two concurrent refreshes of one token the same successor, with valid access tokens', async () => {
    const account = await signUp(t);
    const pair = await signIn(account.email);
    const [first, second] = await Promise.all([t.gql(REFRESH, { token: pair.refreshToken }), t.gql(REFRESH, { token: pair.refreshToken })]);
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(first.data!.refreshToken.refreshToken).toBe(second.data!.refreshToken.refreshToken);
    for (const answer of [first, second]) expect((await must(t.gql(ME, {}, answer.data!.refreshToken.accessToken))).me.id).toBe(account.userId);
    // The successor works once more (and rotates).
    expect((await must(t.gql(REFRESH, { token: first.data!.refreshToken.refreshToken }))).refreshToken.user.id).toBe(account.userId);
  });

  it('refuses the grace window once the session was revoked meanwhile', async () => {
    const account = await signUp(t);
    const pair = await signIn(account.email);
    await must(t.gql(REFRESH, { token: pair.refreshToken }));
    const [session] = (await must(t.gql(SESSIONS, {}, pair.accessToken))).sessions.filter((s: { current: boolean }) => s.current);
    await must(t.gql(REVOKE_SESSION, { id: session.id }, account.token));
    expect(errorCode(await t.gql(REFRESH, { token: pair.refreshToken }))).toBe('UNAUTHENTICATED');
  });
});

describe('passwords and addresses', () => {
  it.each(['password', '12345678', 'qwertyuiop'])('refuses the common password %s at registration', async (password) => {
    const response = await t.gql(REGISTER, { input: { email: uniqueEmail(), password, name: 'Common' } });
    expect([errorCode(response), response.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'password']);
    expect(response.errors![0].message).toMatch(/most common/);
  });

  it('takes a full-width look-alike address for the same account', async () => {
    const account = await signUp(t);
    const [local, domain] = account.email.split('@');
    const fullWidth = `${[...local.slice(0, 3)].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('')}${local.slice(3)}@${domain}`;
    const again = await t.gql(REGISTER, { input: { email: fullWidth, password: PASSWORD, name: 'Twin' } });
    expect(errorCode(again)).toBe('CONFLICT');
    expect((await signIn(fullWidth)).user.id).toBe(account.userId);
  });

  it('signs in with a password typed in another Unicode form, and rehashes one stored before normalisation', async () => {
    // The password as a client in a decomposed form sends it, hashed as it was before Herald normalised.
    const typed = 'cafe\u0301 au lait, sans sucre';
    const account = await signUp(t);
    const legacy = await new PasswordHasher(SCRYPT_PARAMS_LOW).hash(typed);
    await t.db.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [account.userId, legacy]);

    expect((await signIn(account.email, typed)).user.id).toBe(account.userId);
    const [{ password_hash: rehashed }] = await t.db.query<{ password_hash: string }>(`SELECT password_hash FROM users WHERE id = $1`, [account.userId]);
    expect(rehashed).not.toBe(legacy);
    // Now stored in NFKC form: the composed form and the decomposed one both sign in.
    expect((await signIn(account.email, typed.normalize('NFKC'))).user.id).toBe(account.userId);
    expect((await signIn(account.email, typed)).user.id).toBe(account.userId);
  });
});

