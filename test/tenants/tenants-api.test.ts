import { errorCode } from '../support/graphql-client';
import { startTestHerald, type TestHerald } from '../support/herald';
import {
  ADD_MEMBER,
  INVITE_MEMBER,
  AUDIT_LOG,
  CHANGE_ROLE,
  CREATE_TENANT,
  REMOVE_MEMBER,
  TENANT,
  TENANTS,
  UPDATE_TENANT,
  createActiveTenant,
  createTenant,
  join,
  signUp,
  tenantEventNames,
  uniqueSlug,
  type Account,
} from '../support/tenants';
import { waitFor } from '../support/wait';

let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald();
});
afterAll(() => t.stop());

describe('slugs', () => {
  let owner: Account;
  beforeAll(async () => {
    owner = await signUp(t);
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'x'.repeat(41)],
    ['with an underscore', 'acme_corp'],
    ['with a leading dash', '-acme'],
    ['reserved', 'www'],
    ['reserved', 'admin'],
  ])('refuses a slug %s (%j) with BAD_USER_INPUT on the slug', async (_, slug) => {
    const response = await t.gql(CREATE_TENANT, { input: { name: 'Acme', slug } }, owner.token);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0].extensions!.field).toBe('slug');
  });

  it('lower-cases a slug', async () => {
    const slug = uniqueSlug('case');
    expect((await createTenant(t, owner, slug.toUpperCase())).slug).toBe(slug);
  });

  it('lets exactly one of several concurrent createTenant with one slug succeed; the others get CONFLICT', async () => {
    const owners = await Promise.all([1, 2, 3, 4, 5].map(() => signUp(t)));
    const slug = uniqueSlug('race');
    const responses = await Promise.all(
      owners.map((owner) => t.gql(CREATE_TENANT, { input: { name: 'Racer', slug } }, owner.token)),
    );
    const winners = responses.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    for (const loser of responses.filter((r) => r.errors)) {
      expect(errorCode(loser)).toBe('CONFLICT');
      expect(loser.errors![0].extensions!.field).toBe('slug');
    }
    const rows = await t.db.query(`SELECT id FROM tenants WHERE slug = $1`, [slug]);
    expect(rows).toHaveLength(1);
    // The losers' transactions rolled back: one tenant.created for the slug, no orphan membership.
    const created = await t.db.query(`SELECT id FROM events WHERE name = 'tenant.created' AND payload->>'slug' = $1`, [slug]);
    expect(created).toHaveLength(1);
  });

  it('refuses to move a tenant onto a slug another live tenant has', async () => {
    const [first, second] = [await createTenant(t, owner), await createTenant(t, owner)];
    const response = await t.gql(UPDATE_TENANT, { id: second.id, input: { slug: first.slug } }, owner.token);
    expect(errorCode(response)).toBe('CONFLICT');
  });
});

describe('members', () => {
  it('keeps the last owner: never removed or demoted, by anyone', async () => {
    const owner = await signUp(t);
    const admin = await signUp(t);
    const tenant = await createTenant(t, owner);
    await join(t, owner, tenant.id, admin, 'ADMIN');

    const removeSelf = await t.gql(REMOVE_MEMBER, { tenantId: tenant.id, userId: owner.userId }, owner.token);
    expect(errorCode(removeSelf)).toBe('CONFLICT');
    const demoteSelf = await t.gql(CHANGE_ROLE, { tenantId: tenant.id, userId: owner.userId, role: 'ADMIN' }, owner.token);
    expect(errorCode(demoteSelf)).toBe('CONFLICT');

    // Only owners touch the OWNER role.
    const byAdmin = [
      await t.gql(INVITE_MEMBER, { tenantId: tenant.id, email: (await signUp(t)).email, role: 'OWNER' }, admin.token),
      await t.gql(CHANGE_ROLE, { tenantId: tenant.id, userId: owner.userId, role: 'MEMBER' }, admin.token),
      await t.gql(REMOVE_MEMBER, { tenantId: tenant.id, userId: owner.userId }, admin.token),
      await t.gql(CHANGE_ROLE, { tenantId: tenant.id, userId: admin.userId, role: 'OWNER' }, admin.token),
    ];
    expect(byAdmin.map(errorCode)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);

    // With a second owner, the first may step down.
    expect((await t.gql(CHANGE_ROLE, { tenantId: tenant.id, userId: admin.userId, role: 'OWNER' }, owner.token)).errors).toBeUndefined();
    const stepDown = await t.gql(CHANGE_ROLE, { tenantId: tenant.id, userId: owner.userId, role: 'MEMBER' }, owner.token);
    expect(stepDown.data!.changeMemberRole.role).toBe('MEMBER');
  });

  it('refuses to add anyone without their consent, to invite a member twice, and unknown members', async () => {
    const owner = await signUp(t);
    const other = await signUp(t);
    const tenant = await createTenant(t, owner);
    // addMember is a platform admins' support tool: a tenant's owner invites instead.
    const silentAdd = await t.gql(ADD_MEMBER, { tenantId: tenant.id, email: other.email, role: 'MEMBER' }, owner.token);
    expect(errorCode(silentAdd)).toBe('FORBIDDEN');
    const twice = await t.gql(INVITE_MEMBER, { tenantId: tenant.id, email: owner.email, role: 'MEMBER' }, owner.token);
    expect(errorCode(twice)).toBe('CONFLICT');
    expect(errorCode(await t.gql(REMOVE_MEMBER, { tenantId: tenant.id, userId: other.userId }, owner.token))).toBe('NOT_FOUND');
  });
});

describe('events and the audit log', () => {
  it('records each mutation with its event, and audits it in the tenant’s own log: who, what, when, from where', async () => {
    const owner = await signUp(t);
    const colleague = await signUp(t);
    const tenant = await createActiveTenant(t, owner);
    const run = async (query: string, variables: Record<string, unknown>) => {
      const response = await t.gql(query, variables, owner.token);
      expect(response.errors).toBeUndefined();
    };
    await run(UPDATE_TENANT, { id: tenant.id, input: { name: 'Renamed' } });
    await join(t, owner, tenant.id, colleague, 'MEMBER'); // invited by the owner, accepted by the colleague
    await run(CHANGE_ROLE, { tenantId: tenant.id, userId: colleague.userId, role: 'ADMIN' });
    await run(REMOVE_MEMBER, { tenantId: tenant.id, userId: colleague.userId });
    const actions = [
      'tenant.updated',
      'tenant.invitation.created',
      'tenant.invitation.accepted',
      'tenant.member.added',
      'tenant.member.role_changed',
      'tenant.member.removed',
    ];
    const actorOf: Record<string, string> = {
      'tenant.invitation.accepted': colleague.userId,
      'tenant.member.added': colleague.userId,
    };

    const names = await tenantEventNames(t, tenant.id);
    expect(names.filter((name) => actions.includes(name))).toEqual(actions);

    const page = await waitFor(
      async () => {
        const response = await t.gql(AUDIT_LOG, { tenantId: tenant.id, first: 10 }, owner.token);
        return response.data!.auditLog.edges.length === actions.length && response.data!.auditLog;
      },
      { what: 'six audit entries' },
    );
    const entries = page.edges.map((edge: { node: Record<string, unknown> }) => edge.node);
    expect(entries.map((e: { action: string }) => e.action)).toEqual([...actions].reverse()); // newest first
    for (const entry of entries) {
      const actorId = actorOf[entry.action as string] ?? owner.userId;
      expect(entry).toMatchObject({ actorId, actor: { id: actorId }, ip: expect.stringContaining('127.0.0.1') });
      expect(Date.parse(entry.occurredAt)).not.toBeNaN();
    }
    expect(entries[0].subjectId).toBe(colleague.userId);
    // Served from the tenant's schema: the platform log has none of these.
    const platform = await t.db.query(`SELECT action FROM audit_entries WHERE tenant_id = $1`, [tenant.id]);
    expect(platform.map((row) => row.action)).toEqual(['tenant.created']);

    // Pages follow the cursor.
    const first = (await t.gql(AUDIT_LOG, { tenantId: tenant.id, first: 5 }, owner.token)).data!.auditLog;
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await t.gql(AUDIT_LOG, { tenantId: tenant.id, first: 5, after: first.pageInfo.endCursor }, owner.token)).data!.auditLog;
    expect(rest.edges.map((edge: { node: { action: string } }) => edge.node.action)).toEqual(['tenant.updated']);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('pages through tenants oldest first', async () => {
    const owner = await signUp(t);
    const ids = [(await createTenant(t, owner)).id, (await createTenant(t, owner)).id, (await createTenant(t, owner)).id];
    const first = (await t.gql(TENANTS, { first: 2 }, owner.token)).data!.tenants;
    expect(first.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual(ids.slice(0, 2));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await t.gql(TENANTS, { first: 2, after: first.pageInfo.endCursor }, owner.token)).data!.tenants;
    expect(rest.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual(ids.slice(2));
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(errorCode(await t.gql(TENANT, {}, owner.token))).toBe('BAD_USER_INPUT');
  });
});
