/**
 * Soak: a long run of mixed mutations with many WebSocket subscribers against a Herald server
 * process, counting every event committed against what reached the listeners (deliveries done) and
 * the subscribers, and the server's heap and RSS at the start and the end.
 *
 *   npx tsx scripts/soak.ts [--minutes 10] [--subscribers 1000] [--workers 4] [--tenants 10]
 *
 * It creates (and drops) a database of its own on TEST_POSTGRES_URL's server and uses Redis at
 * TEST_REDIS_URL under a prefix of its own, like the test suite. Exit code 0 when every count
 * matches and memory stayed within the bounds below; the figures go to docs/RELIABILITY.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../test/support/database';
import { REDIS_URL } from '../test/support/env';
import { gql, LOGIN, REFRESH, LOGOUT, REGISTER } from '../test/support/graphql-client';
import { uniqueEmail } from '../test/support/herald';
import { ADD_MEMBER, CHANGE_ROLE, CREATE_TENANT, DELETE_TENANT, REMOVE_MEMBER, UPDATE_TENANT, uniqueSlug } from '../test/support/tenants';
import type { SubscriberJob, SubscriberTally } from './soak/subscribers';

/** The growth bounds, after a full GC at both ends (see docs/RELIABILITY.md, "Soak"). */
const HEAP_GROWTH_BOUND = 32 * 1024 * 1024;
// RSS keeps pages the heap gave back, and each scrypt hash briefly takes 32 MiB outside it.
const RSS_GROWTH_BOUND = 192 * 1024 * 1024;
const PASSWORD = 'soak password 1';
const MB = (bytes: number) => Math.round(bytes / 1024 / 1024);

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}
const MINUTES = option('minutes', 10);
const SUBSCRIBERS = option('subscribers', 1000);
const WORKERS = option('workers', 4);
const TENANTS = option('tenants', 10);
const MEMBERS_PER_TENANT = 5;
const MUTATORS = 4; // concurrent mutation loops
const PACE_MS = 100; // pause of each loop between mutations: the machine is shared

const children: ChildProcess[] = [];
const tsx = (script: string, extra: string[] = [], env?: NodeJS.ProcessEnv) => {
  const child = fork(path.join(__dirname, script), [], { execArgv: ['--import', 'tsx', ...extra], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return child;
};
const ask = async <T>(child: ChildProcess, type: string, reply: string): Promise<T> => {
  const answer = new Promise<T>((resolve) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== reply) return;
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
  });
  child.send({ type });
  return answer;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

interface Memory { heapUsed: number; rss: number; live: { connections: number; subscriptions: number } }

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-soak-'));
  try {
    const server = tsx('soak/server.ts', ['--expose-gc'], {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_PREFIX: `herald-soak-${randomBytes(4).toString('hex')}:`,
      DATA_DIR: dataDir, // mail goes to .eml files there
      JWT_SECRET: randomBytes(32).toString('hex'),
      ACCESS_TOKEN_TTL: '12h',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
      RATE_LIMIT_AUTH_PER_ACCOUNT_PER_MINUTE: '1000000',
      WS_MAX_CONNECTIONS_PER_USER: String(Math.ceil(SUBSCRIBERS / (TENANTS * MEMBERS_PER_TENANT)) + 5),
    });
    const [{ url }] = (await once(server, 'message')) as [{ url: string }];
    const memory = () => ask<Memory>(server, 'memory', 'memory');
    const call = async (query: string, variables: Record<string, unknown>, token?: string) => {
      const response = await gql(url, query, variables, { token });
      if (response.errors) throw new Error(`${query.slice(0, 40)}: ${JSON.stringify(response.errors)}`);
      return response.data!;
    };
    const register = async (label: string) => {
      const email = uniqueEmail(label);
      const auth = (await call(REGISTER, { input: { email, password: PASSWORD, name: label } })).register;
      return { email, token: auth.accessToken as string, refresh: auth.refreshToken as string, userId: auth.user.id as string };
    };

    // Members are added by a platform admin's support tool (addMember): tenants themselves invite,
    // and invitations would need the soak to read every email. The admin is granted as
    // `herald admin grant` does it.
    const admin = await register('soak-admin');
    await db.query(`UPDATE users SET is_platform_admin = true WHERE id = $1`, [admin.userId]);
    console.log(`setting up ${TENANTS} tenants with ${MEMBERS_PER_TENANT} members each at ${url}`);
    const tenants: { id: string; owner: Awaited<ReturnType<typeof register>>; members: Awaited<ReturnType<typeof register>>[] }[] = [];
    for (let i = 0; i < TENANTS; i++) {
      const owner = await register('soak-owner');
      const { id } = (await call(CREATE_TENANT, { input: { name: `Soak ${i}`, slug: uniqueSlug('soak') } }, owner.token)).createTenant;
      const members = await Promise.all(Array.from({ length: MEMBERS_PER_TENANT }, () => register('soak-member')));
      for (const member of members) await call(ADD_MEMBER, { tenantId: id, email: member.email, role: 'MEMBER' }, admin.token);
      tenants.push({ id, owner, members });
    }
    const spare = await Promise.all(Array.from({ length: 8 }, () => register('soak-spare')));
    await until(async () => (await db.query(`SELECT count(*)::int AS n FROM tenants WHERE status <> 'ACTIVE'`))[0].n === 0, 120_000, 'tenants to be ACTIVE');
    const [{ seq: startSeq }] = await db.query<{ seq: string }>(`SELECT coalesce(max(seq), 0)::text AS seq FROM events`);

    // Subscribers: members only, so each receives its tenant's events except the auth.* ones.
    const members = tenants.flatMap((tenant) => tenant.members.map((member) => ({ token: member.token, tenantId: tenant.id })));
    const jobs: SubscriberJob[][] = Array.from({ length: WORKERS }, () => []);
    for (let i = 0; i < SUBSCRIBERS; i++) jobs[i % WORKERS].push(members[i % members.length]);
    const workers = jobs.map(() => tsx('soak/subscribers.ts'));
    const connected = workers.map((worker) => once(worker, 'message'));
    workers.forEach((worker, i) => worker.send({ type: 'start', url, after: startSeq, jobs: jobs[i] }));
    await Promise.all(connected);
    await until(async () => (await memory()).live.subscriptions === SUBSCRIBERS, 120_000, `${SUBSCRIBERS} subscriptions`);
    const start = await memory();
    console.log(`${SUBSCRIBERS} subscribers live; heap ${MB(start.heapUsed)} MB, RSS ${MB(start.rss)} MB; mutating for ${MINUTES} min`);

    const counts: Record<string, number> = {};
    const failures: string[] = [];
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
    const mix: [weight: number, name: string, run: () => Promise<unknown>][] = [
      [30, 'updateTenant', async () => {
        const tenant = pick(tenants);
        await call(UPDATE_TENANT, { id: tenant.id, input: { name: `Soak ${randomBytes(3).toString('hex')}` } }, tenant.owner.token);
      }],
      [20, 'add/changeRole/removeMember', async () => {
        const tenant = pick(tenants);
        const person = pick(spare);
        const added = await gql(url, ADD_MEMBER, { tenantId: tenant.id, email: person.email, role: 'MEMBER' }, { token: admin.token });
        if (added.errors) return; // another loop added this person just now
        await call(CHANGE_ROLE, { tenantId: tenant.id, userId: person.userId, role: 'ADMIN' }, tenant.owner.token);
        await call(REMOVE_MEMBER, { tenantId: tenant.id, userId: person.userId }, tenant.owner.token);
      }],
      [15, 'login', () => call(LOGIN, { input: { email: pick(tenants).owner.email, password: PASSWORD } })],
      [10, 'login+refreshToken+logout', async () => {
        const session = (await call(LOGIN, { input: { email: pick(spare).email, password: PASSWORD } })).login;
        const refreshed = (await call(REFRESH, { token: session.refreshToken })).refreshToken;
        await call(LOGOUT, { refreshToken: refreshed.refreshToken });
      }],
      [5, 'register', () => register('soak-new')],
      [3, 'createTenant+deleteTenant', async () => {
        const owner = pick(spare);
        const { id } = (await call(CREATE_TENANT, { input: { name: 'Brief', slug: uniqueSlug('brief') } }, owner.token)).createTenant;
        await call(DELETE_TENANT, { id }, owner.token);
      }],
    ];
    const total = mix.reduce((sum, [weight]) => sum + weight, 0);
    const deadline = Date.now() + MINUTES * 60_000;
    await Promise.all(
      Array.from({ length: MUTATORS }, async () => {
        while (Date.now() < deadline) {
          let roll = Math.random() * total;
          const [, name, run] = mix.find(([weight]) => (roll -= weight) < 0) ?? mix[0];
          try {
            await run();
            counts[name] = (counts[name] ?? 0) + 1;
          } catch (error) {
            failures.push(`${name}: ${String(error).slice(0, 300)}`);
          }
          await sleep(PACE_MS);
        }
      }),
    );

    // Drain: every delivery of the run done, every subscriber caught up.
    const expectedFor = async (tenantId: string) =>
      (await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM events e WHERE e.seq > $1 AND e.name NOT LIKE 'auth.%'
           AND (e.tenant_id = $2::uuid OR $2::uuid = ANY(e.audience_tenant_ids))`,
        [startSeq, tenantId],
      ))[0].n;
    const report = async () => (await Promise.all(workers.map((worker) => ask<{ tallies: SubscriberTally[] }>(worker, 'report', 'report')))).flatMap((r) => r.tallies);
    const expected = new Map<string, number>();
    const caughtUp = async () => {
      for (const tenant of tenants) expected.set(tenant.id, await expectedFor(tenant.id));
      return (await report()).every((tally) => tally.received >= expected.get(tally.tenantId)! || tally.closeCode !== null);
    };
    const deliveries = () =>
      db.query<{ status: string; n: number }>(
        // Reminders due a day later (never tried yet) are not the soak's to wait for.
        `SELECT d.status, count(*)::int AS n FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE e.seq > $1 AND NOT (d.status = 'pending' AND d.attempts = 0 AND d.due_at > now() + interval '1 hour') GROUP BY d.status`,
        [startSeq],
      );
    await until(async () => (await deliveries()).every((row) => ['done', 'dead'].includes(row.status)), 180_000, 'deliveries to finish');
    await until(caughtUp, 180_000, 'subscribers to catch up').catch((error) => failures.push(String(error)));
    const end = await memory();

    const tallies = await report();
    const [{ n: committed }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE seq > $1`, [startSeq]);
    const byStatus = Object.fromEntries((await deliveries()).map((row) => [row.status, row.n]));
    const expectedTotal = tallies.reduce((sum, tally) => sum + expected.get(tally.tenantId)!, 0);
    const deliveredTotal = tallies.reduce((sum, tally) => sum + tally.received, 0);
    const wrong = tallies.filter((tally) => tally.received !== expected.get(tally.tenantId) || tally.duplicatesOrOutOfOrder || tally.errors.length || tally.closeCode !== null);

    await Promise.all(workers.map(async (worker) => {
      worker.send({ type: 'stop' });
      await once(worker, 'exit');
    }));
    await until(async () => (await memory()).live.connections === 0, 60_000, 'the sockets to close');
    const closed = await memory();

    const result = {
      minutes: MINUTES,
      subscribers: SUBSCRIBERS,
      mutations: counts,
      mutationFailures: failures.length,
      eventsCommitted: committed,
      deliveries: byStatus,
      subscriberEventsExpected: expectedTotal,
      subscriberEventsDelivered: deliveredTotal,
      subscribersWrong: wrong.length,
      memoryMB: {
        start: { heap: MB(start.heapUsed), rss: MB(start.rss) },
        end: { heap: MB(end.heapUsed), rss: MB(end.rss) },
        afterSubscribersLeft: { heap: MB(closed.heapUsed), rss: MB(closed.rss) },
        bounds: { heapGrowth: MB(HEAP_GROWTH_BOUND), rssGrowth: MB(RSS_GROWTH_BOUND) },
      },
    };
    console.log(JSON.stringify(result, null, 2));
    for (const failure of failures.slice(0, 10)) console.log(`failure: ${failure}`);
    for (const tally of wrong.slice(0, 10)) console.log(`subscriber off: ${JSON.stringify({ ...tally, expected: expected.get(tally.tenantId) })}`);
    const ok =
      failures.length === 0 &&
      wrong.length === 0 &&
      expectedTotal === deliveredTotal &&
      (byStatus.dead ?? 0) === 0 &&
      end.heapUsed - start.heapUsed <= HEAP_GROWTH_BOUND &&
      end.rss - start.rss <= RSS_GROWTH_BOUND;
    console.log(ok ? 'SOAK PASSED' : 'SOAK FAILED');
    process.exitCode = ok ? 0 : 1;
    server.send({ type: 'stop' });
    await once(server, 'exit');
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  process.exit(1);
});
