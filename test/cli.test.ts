import { MIGRATIONS } from '../src/migrations';
import { TENANT_MIGRATIONS } from '../src/migrations/tenant';
import { tenantSchemaName } from '../src/db/tenant-database';
import { defineListener } from '../src/events/listener';
import { LOGIN, ME, REGISTER, errorCode } from './support/graphql-client';
import { SECRET_KEY } from './support/env';
import { waitForLinkToken } from './support/mailbox';
import { VERIFY_EMAIL } from './support/tenants';
import { createTestDatabase } from './support/database';
import { runCli, startCli } from './support/cli';

// Every test here starts command-line processes (tsx compiles each), 1 s apiece on a quiet machine
// and up to 20 s on a loaded one: a deadline, not a measure.
jest.setTimeout(120_000);
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor } from './support/wait';

/** Fails every time: its deliveries end up dead, for `deliveries list|retry`. */
const failing = defineListener({
  name: 'test-always-fails',
  on: ['user.registered'],
  maxAttempts: 1,
  async handle() {
    throw new Error('the CRM is down');
  },
});

let t: TestHerald;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startTestHerald({}, { extraListeners: [failing] });
  // The same SECRET_KEY as the server's, so a link queued by the command works when the server sends it.
  env = { DATABASE_URL: t.db.url, SECRET_KEY };
});
afterAll(() => t.stop());

async function register(email = uniqueEmail('cli')) {
  const response = await t.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'Cli' } });
  expect(response.errors).toBeUndefined();
  return { email, userId: response.data!.register.user.id as string };
}

describe('herald --help', () => {
  it('lists the commands, and explains each', async () => {
    const help = await runCli(['--help'], env);
    expect(help.code).toBe(0);
    for (const command of ['migrate', 'events', 'deliveries', 'admin', 'user']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const tail = await runCli(['events', 'tail', '--help'], env);
    expect(tail.stdout).toContain('--after <seq>');
  });

  it('fails with a one-line reason and a non-zero code', async () => {
    const unknown = await runCli(['frobnicate'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/^error: unknown command 'frobnicate'/);
    const badName = await runCli(['events', 'tail', '--names', 'user.exploded'], env);
    expect(badName).toMatchObject({ code: 2, stderr: 'herald: --names: "user.exploded" is not an event name (see docs/EVENTS.md)\n' });
    const unreachable = await runCli(['migrate'], { DATABASE_URL: 'postgres://herald:pw@127.0.0.1:1/herald' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^herald: PostgreSQL is unreachable at postgres:\/\/herald:\*\*\*@127\.0\.0\.1:1\/herald \(connect ECONNREFUSED[^\n]*\n$/);
  });
});

describe('herald migrate', () => {
  it('migrates an empty database, and says so when there is nothing left to do', async () => {
    const db = await createTestDatabase();
    try {
      const notYet = await runCli(['deliveries', 'list'], { DATABASE_URL: db.url });
      expect(notYet.code).toBe(1);
      expect(notYet.stderr).toMatch(/is not migrated yet: run `npx herald migrate`/);

      const first = await runCli(['migrate'], { DATABASE_URL: db.url });
      expect(first).toMatchObject({ code: 0, stderr: '' });
      expect(first.stdout).toMatch(/^landlord schema migrated; 0 tenant schemas migrated/);
      expect(await db.query(`SELECT count(*)::int AS n FROM migrations`)).toEqual([{ n: MIGRATIONS.length }]);
      const again = await runCli(['migrate'], { DATABASE_URL: db.url });
      expect(again.stdout).toMatch(/^landlord schema already up to date/);

      // A tenant schema behind the newest tenant migration (as after a release that adds one).
      const tenantId = '01a21e00-0000-7000-8000-000000000001';
      await db.query(`INSERT INTO tenants (id, slug, name, status) VALUES ($1, 'cli-tenant', 'CLI', 'ACTIVE')`, [tenantId]);
      await db.query(`CREATE SCHEMA ${tenantSchemaName(tenantId)}`);
      const tenants = await runCli(['migrate'], { DATABASE_URL: db.url });
      expect(tenants).toMatchObject({ code: 0, stderr: '' });
      expect(tenants.stdout).toMatch(/; 1 tenant schema migrated/);
      const [row] = await db.query<{ schema_version: string }>(`SELECT schema_version FROM tenants WHERE id = $1`, [tenantId]);
      expect(Number(row.schema_version)).toBe(Math.max(...TENANT_MIGRATIONS.map((m) => m.version)));
    } finally {
      await db.drop();
    }
  });
});

describe('herald admin grant|revoke', () => {
  it('sets is_platform_admin and records the change as an event', async () => {
    const { email, userId } = await register();
    const granted = await runCli(['admin', 'grant', email.toUpperCase()], env);
    expect(granted).toMatchObject({ code: 0, stdout: `${email} is a platform admin\n` });
    expect(await t.db.query(`SELECT is_platform_admin FROM users WHERE id = $1`, [userId])).toEqual([{ is_platform_admin: true }]);

    const revoked = await runCli(['admin', 'revoke', email], env);
    expect(revoked.stdout).toBe(`${email} is no longer a platform admin\n`);
    const events = await t.db.query(
      `SELECT payload FROM events WHERE name = 'user.profile.updated' AND payload->>'userId' = $1 ORDER BY seq`,
      [userId],
    );
    expect(events).toEqual([
      { payload: { userId, fields: ['isPlatformAdmin'] } },
      { payload: { userId, fields: ['isPlatformAdmin'] } },
    ]);
  });

  it('says when there is no such user', async () => {
    const missing = await runCli(['admin', 'grant', 'nobody@example.com'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^herald: no user with email nobody@example\.com in postgres:\/\/[^\n]*\n$/);
  });
});

describe('herald user unlock|resend-verification|end-sessions', () => {
  it('lifts a lock, sends a working verification link and ends every session, each recorded with no actor', async () => {
    const { email, userId } = await register();
    const login = () => t.gql(LOGIN, { input: { email, password: 'correct horse battery' } });
    const session = (await login()).data!.login.accessToken as string;

    await t.db.query(`INSERT INTO login_failure_counters (scope, key, failures, locked_until) VALUES ('account', $1, 0, now() + interval '15 minutes')
       ON CONFLICT (scope, key) DO UPDATE SET locked_until = EXCLUDED.locked_until`, [email]);
    expect(errorCode(await login())).toBe('RATE_LIMITED');
    expect(await runCli(['user', 'unlock', email], env)).toMatchObject({ code: 0, stdout: `${email} unlocked\n` });
    expect(errorCode(await login())).toBeUndefined();

    const resent = await runCli(['user', 'resend-verification', email], env);
    expect(resent).toMatchObject({ code: 0, stdout: `${email} has a new verification link on its way (a running server sends it)\n` });
    const token = await waitForLinkToken(t.smtp, email, '/console/verify-email', 2);
    expect((await t.gql(VERIFY_EMAIL, { token })).data!.verifyEmail.emailVerified).toBe(true);
    expect(await runCli(['user', 'resend-verification', email], env)).toMatchObject({ code: 1, stderr: 'herald: This address is verified already.\n' });

    const ended = await runCli(['user', 'end-sessions', email], env);
    expect(ended).toMatchObject({ code: 0, stdout: `${email} has no session left (3 ended)\n` });
    expect(errorCode(await t.gql(ME, {}, session))).toBe('UNAUTHENTICATED');

    const events = await t.db.query<{ name: string; actor_id: string | null }>(
      `SELECT name, actor_id FROM events WHERE name IN ('auth.account.unlocked', 'user.email.verification_requested', 'auth.session.revoked')
         AND payload->>'userId' = $1 ORDER BY seq`,
      [userId],
    );
    expect(events).toEqual([
      { name: 'auth.account.unlocked', actor_id: null },
      { name: 'user.email.verification_requested', actor_id: null },
      { name: 'auth.session.revoked', actor_id: null },
      { name: 'auth.session.revoked', actor_id: null },
      { name: 'auth.session.revoked', actor_id: null },
    ]);
    expect(await runCli(['user', 'unlock', 'nobody@example.com'], env)).toMatchObject({ code: 1, stderr: 'herald: No account has this email.\n' });
  });
});

describe('herald deliveries list|retry', () => {
  it('lists dead deliveries and puts one back in line', async () => {
    const { userId } = await register();
    const [dead] = await waitFor(async () => {
      const rows = await t.db.query<{ id: string }>(
        `SELECT d.id::text FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.listener = 'test-always-fails' AND d.status = 'dead' AND e.actor_id = $1`,
        [userId],
      );
      return rows.length === 1 && rows;
    }, { what: 'a dead delivery' });

    const listed = await runCli(['deliveries', 'list', '--status', 'dead'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+STATUS\s+ATTEMPTS\s+LISTENER\s+EVENT\s+UPDATED\s+LAST ERROR$/m);
    expect(listed.stdout).toMatch(new RegExp(`^${dead.id}\\s+dead\\s+1\\s+test-always-fails\\s+user\\.registered #\\d+ .*Error: the CRM is down$`, 'm'));
    const json = await runCli(['deliveries', 'list', '--status', 'DEAD', '--json', '--limit', '200'], env);
    expect(json.stdout.trim().split('\n').map((line) => JSON.parse(line).id)).toContain(dead.id);

    const retried = await runCli(['deliveries', 'retry', dead.id], env);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(new RegExp(`^delivery ${dead.id} \\(test-always-fails, user\\.registered #\\d+\\) is pending again\\n$`));
    // The running server picks it up at its next poll, and it fails (and dies) again.
    await waitFor(async () => {
      const [row] = await t.db.query<{ status: string; attempts: number }>(`SELECT status, attempts FROM deliveries WHERE id = $1`, [dead.id]);
      return row.status === 'dead' && row.attempts === 1;
    }, { what: 'the retried delivery to run' });

    const notRetriable = await runCli(['deliveries', 'retry', '999999999'], env);
    expect(notRetriable).toMatchObject({ code: 1, stderr: 'herald: No delivery 999999999.\n' });
  });
});

describe('herald events tail', () => {
  it('prints events live as they commit, and resumes after a seq without gaps or repeats', async () => {
    const tail = startCli(['events', 'tail', '--names', 'user.registered', '--json', '--poll-ms', '100'], env);
    try {
      await waitFor(() => /tailing events after seq \d+/.test(tail.output.stderr), { what: 'the tail to start' });
      const first = await register();
      const second = await register();
      const lines = await waitFor(() => {
        const events = tail.output.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
        return events.length >= 2 && events;
      }, { what: 'two registrations in the tail' });
      expect(lines.map((e) => e.payload.email)).toEqual([first.email, second.email]);
      expect(lines.every((e) => e.name === 'user.registered')).toBe(true);

      expect(await tail.interrupt()).toBe(0);
      expect(tail.output.stderr).toMatch(/stopped; resume with --after (\d+)\n$/);

      // Resuming after the first of them replays exactly what came after it.
      const third = await register();
      const resumed = startCli(['events', 'tail', '--names', 'user.registered', '--after', lines[0].seq, '--poll-ms', '100'], env);
      try {
        await waitFor(() => resumed.output.stdout.includes(third.email), { what: 'the resumed tail to catch up' });
        const printed = resumed.output.stdout.trim().split('\n');
        expect(printed).toHaveLength(2);
        expect(printed[0]).toMatch(new RegExp(`^#${lines[1].seq}  \\S+  user\\.registered  actor=${second.userId}  .*"email":"${second.email}"`));
        expect(printed[1]).toContain(third.email);
      } finally {
        await resumed.interrupt();
      }
    } finally {
      tail.kill();
    }
  });
});
