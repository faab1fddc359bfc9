import { LOGIN, REGISTER, errorCode, gql, type GraphQLResponse } from './support/graphql-client';
import { REQUEST_RESET, RESET_PASSWORD } from './support/accounts';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitForLinkToken } from './support/mailbox';
import { waitFor } from './support/wait';

/**
 * Issue 13, findings 2 and 3, with the default policy (5 failures per account + address, 20 per
 * address, 20 per account lock it, 20 logins per account per minute). Before the fix: 15 wrong
 * logins sent at once all had their password checked, 60 on 60 accounts from one address too, and
 * four addresses (or one, flooding) kept the owner out. Each client address is an X-Forwarded-For
 * appended by the one trusted proxy (TRUST_PROXY=1).
 */
let t: TestHerald;
beforeAll(async () => {
  // The first wait is 60 s (1 s by default) so that none ends by itself while a test runs.
  t = await startTestHerald({ TRUST_PROXY: '1', LOGIN_THROTTLE_BASE_DELAY: '60' });
});
afterAll(() => t.stop());

const PASSWORD = 'correct horse battery';
let addresses = 0;
const newAddress = () => `192.0.2.${++addresses}`;
const LOGIN_WITH_DEVICE = `mutation Login($input: LoginInput!) { login(input: $input) { accessToken deviceToken user { id } } }`;

const login = (email: string, password: string, ip: string, deviceToken?: string): Promise<GraphQLResponse> =>
  gql(t.url, LOGIN_WITH_DEVICE, { input: { email, password, ...(deviceToken ? { deviceToken } : {}) } }, { headers: { 'x-forwarded-for': ip } });

async function register(email = uniqueEmail()) {
  const response = await gql(t.url, `mutation R($input: RegisterInput!) { register(input: $input) { deviceToken user { id } } }`, {
    input: { email, password: PASSWORD, name: 'Ada' },
  }, { headers: { 'x-forwarded-for': newAddress() } });
  expect(response.errors).toBeUndefined();
  return { email, id: response.data!.register.user.id as string, deviceToken: response.data!.register.deviceToken as string };
}

/** The token with its signature's last character changed. */
const tampered = (token: string) => token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');

/** How many of this email's tries had their password checked (the rest were refused before). */
async function passwordsChecked(email: string): Promise<number> {
  const [row] = await t.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM events WHERE name = 'auth.login.failed' AND payload->>'email' = $1 AND payload->>'reason' <> 'locked'`,
    [email],
  );
  return row.n;
}

describe('tries sent at once (finding 3)', () => {
  it('checks at most 5 of 15 wrong passwords sent at once on one account from one address', async () => {
    const { email } = await register();
    const ip = newAddress();
    const responses = await Promise.all(Array.from({ length: 15 }, (_, i) => login(email, `wrong-${i}`, ip)));
    expect(responses.filter((r) => errorCode(r) === 'UNAUTHENTICATED')).toHaveLength(5);
    expect(responses.filter((r) => errorCode(r) === 'RATE_LIMITED')).toHaveLength(10);
    expect(await passwordsChecked(email)).toBe(5);
  });

  it('checks at most 20 of 60 wrong passwords sent at once on 60 accounts from one address', async () => {
    const ip = newAddress();
    const emails = Array.from({ length: 60 }, () => uniqueEmail('spray'));
    const responses = await Promise.all(emails.map((email) => login(email, 'wrong-password', ip)));
    // Most are refused before any counting (8 may wait for a turn per address); the rest by the counters.
    const checked = responses.filter((r) => errorCode(r) === 'UNAUTHENTICATED').length;
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(20);
    expect(responses.filter((r) => errorCode(r) === 'RATE_LIMITED')).toHaveLength(60 - checked);
  });
});

describe('an owner with a device token (finding 2)', () => {
  it('signs in while failures from four addresses have locked the account, and the lock holds for others', async () => {
    const owner = await register();
    const { deviceToken } = owner;

    for (let a = 0; a < 4; a++) {
      const ip = newAddress();
      for (let i = 0; i < 5; i++) expect(errorCode(await login(owner.email, `wrong-${a}-${i}`, ip))).toBe('UNAUTHENTICATED');
    }
    // Locked for everyone without this device's token, right password or not.
    expect(errorCode(await login(owner.email, PASSWORD, newAddress()))).toBe('RATE_LIMITED');
    expect(errorCode(await login(owner.email, PASSWORD, newAddress(), tampered(deviceToken)))).toBe('RATE_LIMITED');

    const signedIn = await login(owner.email, PASSWORD, newAddress(), deviceToken);
    expect(signedIn.errors).toBeUndefined();
    expect(signedIn.data!.login.user.id).toBe(owner.id);
  });

  it('signs in while one address floods logins naming the account', async () => {
    const owner = await register();
    const attacker = newAddress();
    const flood = await Promise.all(Array.from({ length: 25 }, (_, i) => login(owner.email, `guess-${i}`, attacker)));
    expect(flood.every((r) => ['UNAUTHENTICATED', 'RATE_LIMITED'].includes(errorCode(r)!))).toBe(true);
    // Without the device token the per-account limit is spent...
    expect(errorCode(await login(owner.email, PASSWORD, newAddress()))).toBe('RATE_LIMITED');
    // ...with it, the owner is throttled per device only.
    expect((await login(owner.email, PASSWORD, newAddress(), owner.deviceToken)).errors).toBeUndefined();
  });

  it("is throttled per device: a stolen token's wrong guesses stop after 5", async () => {
    const owner = await register();
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) codes.push(errorCode(await login(owner.email, `thief-${i}`, newAddress(), owner.deviceToken))!);
    expect(codes).toEqual([...Array(5).fill('UNAUTHENTICATED'), ...Array(3).fill('RATE_LIMITED')]);
  });

  it("does not let one account's device token vouch for another account", async () => {
    const owner = await register();
    const other = await register();
    const ip = newAddress();
    for (let i = 0; i < 5; i++) await login(other.email, `wrong-${i}`, ip, owner.deviceToken);
    expect(errorCode(await login(other.email, PASSWORD, ip, owner.deviceToken))).toBe('RATE_LIMITED');
  });
});

describe('new devices', () => {
  it('emails the user on a sign-in without a device token, and not with one', async () => {
    const owner = await register();
    const subject = 'A new sign-in to your Herald account';
    const fresh = await login(owner.email, PASSWORD, '198.51.100.77');
    expect(fresh.errors).toBeUndefined();
    const mail = await waitFor(() => t.smtp.to(owner.email).find((m) => m.subject === subject), { what: 'the new-device email' });
    expect(mail.raw).toContain('198.51.100.77');

    expect((await login(owner.email, PASSWORD, newAddress(), fresh.data!.login.deviceToken)).errors).toBeUndefined();
    const [row] = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events WHERE name = 'auth.device.new' AND payload->>'userId' = $1`,
      [owner.id],
    );
    expect(row.n).toBe(1);
  });
});

it('lifts a lock when the owner resets the password', async () => {
  const owner = await register();
  for (let a = 0; a < 4; a++) {
    const ip = newAddress();
    for (let i = 0; i < 5; i++) await login(owner.email, `wrong-${a}-${i}`, ip);
  }
  expect(errorCode(await login(owner.email, PASSWORD, newAddress()))).toBe('RATE_LIMITED');
  await gql(t.url, REQUEST_RESET, { email: owner.email }, { headers: { 'x-forwarded-for': newAddress() } });
  const token = await waitForLinkToken(t.smtp, owner.email, '/console/reset-password');
  const reset = await gql(t.url, RESET_PASSWORD, { token, newPassword: 'a brand new passphrase' });
  expect(reset.errors).toBeUndefined();
  expect((await login(owner.email, 'a brand new passphrase', newAddress())).errors).toBeUndefined();
});
