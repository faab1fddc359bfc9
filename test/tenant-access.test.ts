import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../src/db/data-source';
import type { DomainError } from '../src/errors/domain-errors';
import type { TenantRole } from '../src/events/catalog';
import type { RequestContext } from '../src/services/request-context';
import { ANY_MEMBER, OWNER_OR_ADMIN, TenantAccess, tenantsOfUserSql } from '../src/services/tenant-access';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * TenantAccess on real PostgreSQL: the lookup by id or slug, deleted tenants, the viewer's own
 * membership (the rule itself: src/services/tenant-access.test.ts). Each test makes its own rows.
 */
let db: TestDatabase;
let dataSource: DataSource;
let access: TenantAccess;

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = createDataSource(db.url, { embedded: false, applicationName: 'herald-test:tenant-access' });
  await dataSource.initialize();
  await migrate(dataSource, false);
  access = new TenantAccess(dataSource);
});
afterAll(async () => {
  await dataSource.destroy();
  await db.drop();
});

async function user(): Promise<string> {
  const id = crypto.randomUUID();
  await db.query(`INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'U', 'x')`, [id, `${id}@example.com`]);
  return id;
}

async function tenant(members: [string, TenantRole][], deleted = false): Promise<{ id: string; slug: string }> {
  const id = crypto.randomUUID();
  const slug = `t-${id.slice(0, 8)}`;
  await db.query(`INSERT INTO tenants (id, slug, name, status, deleted_at) VALUES ($1, $2, 'T', $3, $4)`, [
    id,
    slug,
    deleted ? 'DELETED' : 'ACTIVE',
    deleted ? new Date() : null,
  ]);
  for (const [userId, role] of members) {
    await db.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [id, userId, role]);
  }
  return { id, slug };
}

function as(userId: string, isPlatformAdmin = false): RequestContext {
  return {
    requestId: 'r',
    ip: null,
    userAgent: null,
    viewer: { userId, sessionId: 's', email: 'e', emailVerified: true, isPlatformAdmin, tokenExpiresAt: 0 },
  };
}

async function outcome(promise: Promise<{ tenant: { id: string }; role: TenantRole | null }>): Promise<string> {
  try {
    const { tenant: found, role } = await promise;
    return `${found.id} ${role}`;
  } catch (error) {
    return (error as DomainError).code;
  }
}

it("finds a live tenant by id and by slug, with the viewer's own role", async () => {
  const [owner, member] = [await user(), await user()];
  const t = await tenant([
    [owner, 'OWNER'],
    [member, 'MEMBER'],
  ]);
  expect(await outcome(access.require(as(member), { id: t.id }, ANY_MEMBER))).toBe(`${t.id} MEMBER`);
  expect(await outcome(access.require(as(member), { slug: t.slug }, ANY_MEMBER))).toBe(`${t.id} MEMBER`);
  expect(await outcome(access.require(as(owner), { slug: t.slug }, OWNER_OR_ADMIN))).toBe(`${t.id} OWNER`);
  expect(await outcome(access.require(as(member), { id: t.id }, OWNER_OR_ADMIN))).toBe('FORBIDDEN');
});

it('answers NOT_FOUND for a non-member of a tenant that has members, as for a tenant that does not exist', async () => {
  const [owner, stranger] = [await user(), await user()];
  const t = await tenant([[owner, 'OWNER']]);
  expect(await outcome(access.require(as(stranger), { id: t.id }, ANY_MEMBER))).toBe('NOT_FOUND');
  expect(await outcome(access.require(as(stranger), { id: crypto.randomUUID() }, ANY_MEMBER))).toBe('NOT_FOUND');
  expect(await outcome(access.require(as(stranger), { slug: 'no-such-tenant' }, ANY_MEMBER))).toBe('NOT_FOUND');
  // A platform admin may, member or not (and reads events as OWNER).
  expect(await outcome(access.require(as(stranger, true), { id: t.id }, ANY_MEMBER))).toBe(`${t.id} null`);
  await expect(access.memberRole(as(stranger, true), t.id)).resolves.toBe('OWNER');
});

it('answers NOT_FOUND for a deleted tenant, even to its owner and to platform admins', async () => {
  const owner = await user();
  const t = await tenant([[owner, 'OWNER']], true);
  expect(await outcome(access.require(as(owner), { id: t.id }, ANY_MEMBER))).toBe('NOT_FOUND');
  expect(await outcome(access.require(as(owner, true), { slug: t.slug }, ANY_MEMBER))).toBe('NOT_FOUND');
});

it('answers NOT_FOUND, without a query error, for an id or slug that is not well formed', async () => {
  const owner = await user();
  await tenant([[owner, 'OWNER']]);
  expect(await outcome(access.require(as(owner), { id: 'not-a-uuid' }, ANY_MEMBER))).toBe('NOT_FOUND');
  expect(await outcome(access.require(as(owner), { slug: 'NUL\u0000' }, ANY_MEMBER))).toBe('NOT_FOUND');
});

it("lists, in SQL for the event store, the live tenants a user belongs to", async () => {
  const someone = await user();
  const live = await tenant([[someone, 'MEMBER']]);
  await tenant([[someone, 'OWNER']], true);
  await tenant([[await user(), 'OWNER']]);
  const [{ tenants }] = await db.query<{ tenants: string[] }>(`SELECT ${tenantsOfUserSql('$1::uuid')} AS tenants`, [someone]);
  expect(tenants).toEqual([live.id]);
});
