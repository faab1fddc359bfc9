import { errorCode } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { CREATE_TENANT, DELETE_TENANT, signUp, uniqueSlug, type Account } from './support/tenants';
import { waitFor } from './support/wait';
import { Redis } from 'ioredis';
import { REDIS_URL } from './support/env';

/**
 * Issue 13, finding 5: before, one ordinary user created 40 tenants in 1.6 s (40 schemas, 80
 * emails, 40 of them to the platform admins with the attacker's text and links). With the
 * defaults (10 live tenants per user, 5 creations an hour) 40 at once create 5; platform admins
 * are exempt; the admins' notice quotes the name as plain text, never a link.
 */
const ADMIN = uniqueEmail('quota-admin');
let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald({ TENANTS_PER_USER: '10', TENANT_CREATIONS_PER_USER_PER_HOUR: '5', PLATFORM_ADMIN_EMAILS: ADMIN });
});
afterAll(() => t.stop());

const create = (account: Account, name = 'Acme Corp') =>
  t.gql(CREATE_TENANT, { input: { name, slug: uniqueSlug('quota') } }, account.token);

/** As if an hour had passed for the user's hourly count (rate-limiter-flexible's key in Redis). */
async function forgetHourlyCount(user: Account): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`*rate-limit:tenant-creations:${user.userId}`);
    expect(keys).toHaveLength(1);
    await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

it('creates 5 of 40 tenants sent at once by one user, then answers RATE_LIMITED with retryAfter', async () => {
  const user = await signUp(t);
  const responses = await Promise.all(Array.from({ length: 40 }, () => create(user)));
  expect(responses.filter((r) => !r.errors)).toHaveLength(5);
  const refused = responses.filter((r) => r.errors);
  expect(refused.map(errorCode)).toEqual(Array(35).fill('RATE_LIMITED'));
  expect(refused[0].errors![0].extensions!.retryAfter).toBeGreaterThan(3500);
  const [row] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tenants WHERE created_by = $1`, [user.userId]);
  expect(row.n).toBe(5);
});

it('counts deleted tenants against the hourly quota, so deleting does not make room', async () => {
  const user = await signUp(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await create(user)).data!.createTenant.id);
  for (const id of ids) expect((await t.gql(DELETE_TENANT, { id }, user.token)).errors).toBeUndefined();
  expect(errorCode(await create(user))).toBe('RATE_LIMITED');
});

it('refuses an eleventh live tenant with FORBIDDEN, saying what to do', async () => {
  const user = await signUp(t);
  // Ten created over more than an hour: the older ones moved back in time.
  // Ten created over more than an hour: the hourly count forgotten after each batch of five.
  for (let i = 0; i < 10; i++) {
    expect((await create(user)).errors).toBeUndefined();
    if (i === 4) await forgetHourlyCount(user);
  }
  await forgetHourlyCount(user);
  const refused = await create(user);
  expect(errorCode(refused)).toBe('FORBIDDEN');
  expect(refused.errors![0].message).toMatch(/delete one you no longer need/);
});

it('exempts platform admins, and quotes the names in their notice as plain text, never as a link', async () => {
  const admin = await signUp(t, ADMIN, { verified: true });
  const name = 'Visit https://evil.example/login now';
  for (let i = 0; i < 6; i++) expect((await create(admin, name)).errors).toBeUndefined();
  const notice = await waitFor(() => t.smtp.to(ADMIN).find((m) => m.subject.includes('evil')), { what: 'the admin notice' });
  expect(notice.raw).not.toContain('https://evil.example');
  expect(notice.raw).not.toMatch(/<a\s/i);
  expect(notice.raw).toContain('evil[.]example');
});
