import { randomBytes } from 'node:crypto';
import { LOGIN, REGISTER, errorCode, gql, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor } from './support/wait';

/**
 * Failed-login throttling over real HTTP, each client IP simulated with X-Forwarded-For.
 * The first wait is 60 s so that none ends by itself during a test; tests age the counters in the
 * database instead of sleeping.
 */
let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald({
    TRUST_PROXY: '1',
    LOGIN_THROTTLE_AFTER_FAILURES: '3',
    LOGIN_THROTTLE_IP_AFTER_FAILURES: '10',
    LOGIN_THROTTLE_BASE_DELAY: '60',
    LOGIN_LOCK_AFTER_FAILURES: '8',
    LOGIN_LOCK_DURATION: '15m',
  });
});
afterAll(() => t.stop());

const PASSWORD = 'correct horse battery';
/** Every wrong password tried, to scan for at the end. */
const tried: string[] = [];
const wrongPassword = () => {
  const password = `wrong-${randomBytes(6).toString('hex')}`;
  tried.push(password);
  return password;
};

let ipCounter = 0;
/** A client IP no other test uses. */
const newIp = () => {
  const n = ipCounter++;
  return `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`;
};

const as = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
const login = (email: string, password: string, ip: string) => gql(t.url, LOGIN, { input: { email, password } }, as(ip));

async function register(email = uniqueEmail()) {
  const response = await gql(t.url, REGISTER, { input: { email, password: PASSWORD, name: 'Ada' } }, as(newIp()));
  expect(response.errors).toBeUndefined();
  return response.data!.register.user as { id: string; email: string };
}

const counterOf = async (scope: 'pair' | 'ip' | 'account', key: string) =>
  (await t.db.query<{ failures: number; locked_until: Date | null }>(
    `SELECT failures, locked_until FROM login_failure_counters WHERE scope = $1 AND key = $2`,
    [scope, key],
  ))[0];

const failuresCounted = (scope: 'pair' | 'ip' | 'account', key: string, failures: number) =>
  waitFor(async () => (await counterOf(scope, key))?.failures === failures, {
    what: `${failures} failures counted on ${scope} ${key}`,
  });

/** Every failed-login event so far has been handled by the security listener. */
const listenerCaughtUp = () =>
  waitFor(
    async () => {
      const [row] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM deliveries WHERE listener = 'track-failed-logins' AND status <> 'done'`,
      );
      return row.n === 0;
    },
    { what: 'track-failed-logins to catch up' },
  );

/** Moves a pair's last failure back, as if that many seconds had passed. */
const age = (key: string, seconds: number) =>
  t.db.query(
    `UPDATE login_failure_counters SET last_failure_at = last_failure_at - $2 * interval '1 second'
     WHERE scope = 'pair' AND key = $1`,
    [key, seconds],
  );

function expectRateLimited(response: GraphQLResponse, min: number, max: number): number {
  expect(errorCode(response)).toBe('RATE_LIMITED');
  const retryAfter = response.errors![0].extensions!.retryAfter;
  expect(retryAfter).toBeGreaterThanOrEqual(min);
  expect(retryAfter).toBeLessThanOrEqual(max);
  return retryAfter;
}

describe('one account from one IP', () => {
  it('waits growing delays after repeated failures, refusing even the right password meanwhile', async () => {
    const { email } = await register();
    const ip = newIp();
    const pair = `${email}|${ip}`;
    for (let i = 0; i < 3; i++) expect(errorCode(await login(email, wrongPassword(), ip))).toBe('UNAUTHENTICATED');
    await failuresCounted('pair', pair, 3);

    const first = expectRateLimited(await login(email, PASSWORD, ip), 50, 60);
    await age(pair, 60);
    expect(errorCode(await login(email, wrongPassword(), ip))).toBe('UNAUTHENTICATED');
    await failuresCounted('pair', pair, 4);
    const second = expectRateLimited(await login(email, wrongPassword(), ip), 110, 120);
    await age(pair, 120);
    expect(errorCode(await login(email, wrongPassword(), ip))).toBe('UNAUTHENTICATED');
    await failuresCounted('pair', pair, 5);
    const third = expectRateLimited(await login(email, PASSWORD, ip), 230, 240);
    expect(first).toBeLessThan(second);
    expect(second).toBeLessThan(third);

    // Refused tries are recorded as `locked` and do not count.
    await listenerCaughtUp();
    expect((await counterOf('pair', pair)).failures).toBe(5);
    const reasons = await t.db.query<{ reason: string }>(
      `SELECT payload->>'reason' AS reason FROM events WHERE name = 'auth.login.failed' AND payload->>'email' = $1 ORDER BY seq`,
      [email],
    );
    expect(reasons.map((r) => r.reason)).toEqual([
      ...Array(3).fill('wrong_password'),
      'locked',
      'wrong_password',
      'locked',
      'wrong_password',
      'locked',
    ]);

    // The owner on another IP is not affected.
    expect((await login(email, PASSWORD, newIp())).errors).toBeUndefined();

    // Once the wait is over the right password works, and the success clears the pair.
    await age(pair, 240);
    expect((await login(email, PASSWORD, ip)).errors).toBeUndefined();
    await waitFor(async () => (await counterOf('pair', pair)) === undefined, { what: 'the pair to be cleared' });
    expect(errorCode(await login(email, wrongPassword(), ip))).toBe('UNAUTHENTICATED');
  });

  it('checks no more passwords than the policy allows when tries come all at once', async () => {
    const { email } = await register();
    const ip = newIp();
    const responses = await Promise.all(Array.from({ length: 6 }, () => login(email, wrongPassword(), ip)));
    const codes = responses.map(errorCode).sort();
    expect(codes).toEqual([...Array(3).fill('RATE_LIMITED'), ...Array(3).fill('UNAUTHENTICATED')]);
    expect((await counterOf('pair', `${email}|${ip}`)).failures).toBe(3);
    expect((await counterOf('ip', ip)).failures).toBe(3);
    expect((await counterOf('account', email)).failures).toBe(3);
  });
});

describe('one IP across many accounts (password spraying)', () => {
  it('throttles that IP progressively, while other IPs still sign in', async () => {
    const victim = await register();
    const known = await Promise.all([register(), register(), register()]);
    const ip = newIp();
    const targets = [...known.map((u) => u.email), ...Array.from({ length: 7 }, () => uniqueEmail('nobody'))];
    for (const email of targets) expect(errorCode(await login(email, wrongPassword(), ip))).toBe('UNAUTHENTICATED');
    await failuresCounted('ip', ip, 10);

    // Every account is refused from that IP, real or not, right password or not.
    expectRateLimited(await login(victim.email, PASSWORD, ip), 50, 60);
    expectRateLimited(await login(uniqueEmail('nobody'), wrongPassword(), ip), 50, 60);
    expect((await login(victim.email, PASSWORD, newIp())).errors).toBeUndefined();

    // One more failure after the wait doubles it.
    await t.db.query(
      `UPDATE login_failure_counters SET last_failure_at = last_failure_at - interval '60 seconds' WHERE scope = 'ip' AND key = $1`,
      [ip],
    );
    expect(errorCode(await login(uniqueEmail('nobody'), wrongPassword(), ip))).toBe('UNAUTHENTICATED');
    await failuresCounted('ip', ip, 11);
    expectRateLimited(await login(victim.email, PASSWORD, ip), 110, 120);
  });
});

describe('one account across many IPs', () => {
  it('locks the account, records auth.account.locked and emails the user', async () => {
    const user = await register(uniqueEmail('locked'));
    for (let i = 0; i < 8; i++) expect(errorCode(await login(user.email, wrongPassword(), newIp()))).toBe('UNAUTHENTICATED');

    const locked = await waitFor(async () => {
      const rows = await t.db.query<{ payload: { userId: string; failures: number; lockedUntil: string }; actor_id: string | null }>(
        `SELECT payload, actor_id FROM events WHERE name = 'auth.account.locked' AND payload->>'userId' = $1`,
        [user.id],
      );
      return rows.length > 0 && rows;
    }, { what: 'auth.account.locked' });
    expect(locked).toHaveLength(1);
    expect(locked[0].payload.failures).toBe(8);
    const lockSeconds = (Date.parse(locked[0].payload.lockedUntil) - Date.now()) / 1000;
    expect(lockSeconds).toBeGreaterThan(880);
    expect(lockSeconds).toBeLessThanOrEqual(900);

    // Locked from everywhere, even with the right password.
    expectRateLimited(await login(user.email, PASSWORD, newIp()), 880, 900);

    const mail = await waitFor(
      () => t.smtp.to(user.email).find((m) => m.subject === 'Your Herald account is locked for a while'),
      { what: 'the account-locked email' },
    );
    expect(mail.raw).toContain('text/plain');
    expect(mail.raw).toContain('text/html');
    expect(mail.raw).toContain('8 failed attempts');

    // When the lock ends, the right password works again.
    await t.db.query(
      `UPDATE login_failure_counters SET locked_until = now() - interval '1 second' WHERE scope = 'account' AND key = $1`,
      [user.email],
    );
    expect((await login(user.email, PASSWORD, newIp())).errors).toBeUndefined();
  });

  it('locks an unknown email alike, so locking does not reveal which accounts exist', async () => {
    const email = uniqueEmail('nobody');
    for (let i = 0; i < 8; i++) expect(errorCode(await login(email, wrongPassword(), newIp()))).toBe('UNAUTHENTICATED');
    await waitFor(async () => Boolean((await counterOf('account', email))?.locked_until), { what: 'the lock' });
    expectRateLimited(await login(email, wrongPassword(), newIp()), 880, 900);
  });
});

describe('secrets', () => {
  it('never puts a tried password in events, counters, emails or logs', async () => {
    // Its own failures (so it runs alone): a known account tried until it is locked and emailed, an unknown one.
    const user = await register(uniqueEmail('secret'));
    const own: string[] = [];
    for (let i = 0; i < 8; i++) {
      const password = wrongPassword();
      own.push(password);
      expect(errorCode(await login(user.email, password, newIp()))).toBe('UNAUTHENTICATED');
    }
    const unknown = wrongPassword();
    own.push(unknown);
    expect(errorCode(await login(uniqueEmail('nobody-secret'), unknown, newIp()))).toBe('UNAUTHENTICATED');
    await waitFor(() => t.smtp.to(user.email).find((m) => m.subject === 'Your Herald account is locked for a while'), {
      what: 'the account-locked email',
    });
    await listenerCaughtUp();
    expect(tried).toEqual(expect.arrayContaining(own));
    const stored = JSON.stringify([
      await t.db.query('SELECT * FROM events'),
      await t.db.query('SELECT * FROM login_failure_counters'),
      await t.db.query('SELECT * FROM email_messages'),
    ]);
    const mail = t.smtp.messages.map((m) => m.raw).join('\n');
    const logs = t.logText();
    for (const password of [...tried, PASSWORD]) {
      expect(stored).not.toContain(password);
      expect(mail).not.toContain(password);
      expect(logs).not.toContain(password);
    }
  });
});
