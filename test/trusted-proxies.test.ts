import { LOGIN, REGISTER, errorCode, gql } from './support/graphql-client';
import { SESSIONS } from './support/accounts';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor } from './support/wait';
import { loadConfig } from '../src/config';
import { problemsOf } from './support/config-problems';

/**
 * Issue 13, finding 6: with TRUST_PROXY a hop count, the client address is the right-most
 * X-Forwarded-For entry that the trusted proxy appended; whatever a client writes to its left does
 * not change it. Before the fix, `TRUST_PROXY=true` took the left-most entry, so rotating it
 * escaped every per-address limit (12 wrong logins, none throttled).
 */
let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald({ TRUST_PROXY: '1', LOGIN_THROTTLE_AFTER_FAILURES: '3', LOGIN_THROTTLE_BASE_DELAY: '60' });
});
afterAll(() => t.stop());

const PASSWORD = 'correct horse battery';
/** What one proxy in front of Herald sends: the client's own header, then the address it saw. */
const viaProxy = (spoofed: string, seen: string) => ({ headers: { 'x-forwarded-for': `${spoofed}, ${seen}` } });

/** Every failed login so far has been counted. */
const countedSoFar = () =>
  waitFor(
    async () => {
      const [row] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM deliveries WHERE listener = 'track-failed-logins' AND status <> 'done'`,
      );
      return row.n === 0;
    },
    { what: 'failed logins to be counted' },
  );

it('takes the address the trusted proxy appended, not the one the client wrote', async () => {
  const email = uniqueEmail();
  const registered = await gql(t.url, REGISTER, { input: { email, password: PASSWORD, name: 'Ada' } }, viaProxy('1.1.1.1', '203.0.113.7'));
  expect(registered.errors).toBeUndefined();
  const sessions = await gql(t.url, SESSIONS, {}, { token: registered.data!.register.accessToken });
  expect(sessions.data!.sessions[0].ip).toBe('203.0.113.7');
});

it('throttles a guesser who rotates the left-most X-Forwarded-For entry', async () => {
  const email = uniqueEmail();
  await gql(t.url, REGISTER, { input: { email, password: PASSWORD, name: 'Ada' } }, viaProxy('9.9.9.9', '198.51.100.1'));
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < 12; i++) {
    const spoofed = `10.${i}.${i}.${i}`;
    codes.push(errorCode(await gql(t.url, LOGIN, { input: { email, password: `wrong-${i}` } }, viaProxy(spoofed, '198.51.100.2'))));
    await countedSoFar();
  }
  // Three failures from the one real address, then that pair waits 60 s.
  expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(3);
  expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(9);
});

describe('TRUST_PROXY at start-up', () => {
  it('refuses true, saying what to write instead', () => {
    expect(problemsOf({ TRUST_PROXY: 'true' })).toEqual([
      expect.stringMatching(/^TRUST_PROXY: "true" would trust any X-Forwarded-For.*number of proxies.*addresses\/CIDRs/),
    ]);
  });

  it.each([
    ['1', 1],
    ['false', false],
    ['10.0.0.0/8, loopback', ['10.0.0.0/8', 'loopback']],
  ])('takes "%s"', (value, trust) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(trust);
  });

  it.each(['maybe', '10.0.0.0/33', '-1'])('refuses "%s"', (value) => {
    expect(problemsOf({ TRUST_PROXY: value })).toEqual([expect.stringMatching(/^TRUST_PROXY: expected false, a number of proxies/)]);
  });
});
