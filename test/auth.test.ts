import { LOGIN, LOGOUT, ME, REFRESH, REGISTER, errorCode } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';

let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald();
});
afterAll(() => t.stop());

const PASSWORD = 'correct horse battery';

async function register(email = uniqueEmail(), name = 'Ada Lovelace') {
  const response = await t.gql(REGISTER, { input: { email, password: PASSWORD, name } });
  expect(response.errors).toBeUndefined();
  return response.data!.register;
}

describe('register, login, me', () => {
  it('registers, then serves me with the access token', async () => {
    const email = uniqueEmail('ada');
    const auth = await register(`  ${email.toUpperCase()} `);
    expect(auth.user.email).toBe(email);
    expect(auth.expiresIn).toBe(900);

    const me = await t.gql(ME, {}, auth.accessToken);
    expect(me.data!.me).toEqual({ id: auth.user.id, email, name: 'Ada Lovelace', isPlatformAdmin: false });
  });

  it('answers me with null when anonymous', async () => {
    expect((await t.gql(ME)).data!.me).toBeNull();
  });

  it('refuses a second account with the same email, whatever its case', async () => {
    const email = uniqueEmail();
    await register(email);
    const again = await t.gql(REGISTER, { input: { email: email.toUpperCase(), password: PASSWORD, name: 'X' } });
    expect(errorCode(again)).toBe('CONFLICT');
    expect(again.errors![0].extensions!.field).toBe('email');
  });

  it('logs in with the right password and refuses a wrong one or an unknown email alike', async () => {
    const email = uniqueEmail();
    await register(email);
    const ok = await t.gql(LOGIN, { input: { email, password: PASSWORD } });
    expect(ok.data!.login.user.email).toBe(email);

    const wrong = await t.gql(LOGIN, { input: { email, password: 'not the password' } });
    const unknown = await t.gql(LOGIN, { input: { email: uniqueEmail('nobody'), password: 'not the password' } });
    expect(errorCode(wrong)).toBe('UNAUTHENTICATED');
    expect(unknown.errors).toEqual(wrong.errors);
  });
});

describe('refresh tokens', () => {
  it('rotates on every use: the new token works, the old one is spent', async () => {
    const auth = await register();
    const first = await t.gql(REFRESH, { token: auth.refreshToken });
    expect(first.errors).toBeUndefined();
    const next = first.data!.refreshToken;
    expect(next.refreshToken).not.toBe(auth.refreshToken);
    expect((await t.gql(ME, {}, next.accessToken)).data!.me.id).toBe(auth.user.id);
    const second = await t.gql(REFRESH, { token: next.refreshToken });
    expect(second.errors).toBeUndefined();
  });

  it('tolerates the same token twice within the grace window (two tabs)', async () => {
    const auth = await register();
    const [a, b] = await Promise.all([
      t.gql(REFRESH, { token: auth.refreshToken }),
      t.gql(REFRESH, { token: auth.refreshToken }),
    ]);
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    // Both tabs stay signed in.
    expect((await t.gql(REFRESH, { token: a.data!.refreshToken.refreshToken })).errors).toBeUndefined();
    expect((await t.gql(REFRESH, { token: b.data!.refreshToken.refreshToken })).errors).toBeUndefined();
  });

  it('revokes the whole family when a rotated token comes back after the grace window', async () => {
    const auth = await register();
    const rotated = (await t.gql(REFRESH, { token: auth.refreshToken })).data!.refreshToken;
    // Age the rotation past the 10 s window instead of sleeping through it.
    await t.db.query(
      `UPDATE refresh_tokens SET rotated_at = now() - interval '11 seconds'
       WHERE rotated_at IS NOT NULL AND session_id IN (SELECT id FROM sessions WHERE user_id = $1)`,
      [auth.user.id],
    );

    const reuse = await t.gql(REFRESH, { token: auth.refreshToken });
    expect(errorCode(reuse)).toBe('UNAUTHENTICATED');
    // The legitimate successor is dead too, and so is its access token.
    expect(errorCode(await t.gql(REFRESH, { token: rotated.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.gql(ME, {}, rotated.accessToken))).toBe('UNAUTHENTICATED');

    const events = await t.db.query<{ name: string }>(
      `SELECT name FROM events WHERE actor_id = $1 ORDER BY seq`,
      [auth.user.id],
    );
    expect(events.map((e) => e.name)).toEqual(
      expect.arrayContaining(['auth.token.reuse_detected', 'auth.token.revoked']),
    );
  });

  it('refuses an unknown token', async () => {
    expect(errorCode(await t.gql(REFRESH, { token: 'not-a-token' }))).toBe('UNAUTHENTICATED');
  });
});

describe('logout', () => {
  it('ends the session: its refresh and access tokens stop working', async () => {
    const auth = await register();
    const out = await t.gql(LOGOUT, { refreshToken: auth.refreshToken }, auth.accessToken);
    expect(out.data!.logout).toBe(true);
    expect(errorCode(await t.gql(REFRESH, { token: auth.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.gql(ME, {}, auth.accessToken))).toBe('UNAUTHENTICATED');
    expect((await t.gql(LOGOUT, { refreshToken: auth.refreshToken })).data!.logout).toBe(false);
  });

  it("does not let one user end another user's session", async () => {
    const victim = await register();
    const other = await register();
    const out = await t.gql(LOGOUT, { refreshToken: victim.refreshToken }, other.accessToken);
    expect(out.data!.logout).toBe(false);
    expect((await t.gql(ME, {}, victim.accessToken)).data!.me.id).toBe(victim.user.id);
  });
});

describe('storage of secrets', () => {
  it('keeps no plain password or refresh token in any column', async () => {
    const email = uniqueEmail();
    const password = 'a-very-distinct-password-42';
    const auth = (await t.gql(REGISTER, { input: { email, password, name: 'Secretive' } })).data!.register;
    const dump = JSON.stringify([
      await t.db.query('SELECT * FROM users'),
      await t.db.query('SELECT * FROM sessions'),
      await t.db.query('SELECT * FROM refresh_tokens'),
      await t.db.query('SELECT * FROM events'),
    ]);
    expect(dump).not.toContain(password);
    expect(dump).not.toContain(auth.refreshToken);
    expect(dump).not.toContain(auth.accessToken);
    expect(t.logText()).not.toContain(password);
    expect(t.logText()).not.toContain(auth.refreshToken);
  });
});
