import { errorCode, type GraphQLResponse } from '../support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from '../support/herald';
import {
  ADD_MEMBER,
  AUDIT_LOG,
  CHANGE_ROLE,
  DELETE_TENANT,
  REMOVE_MEMBER,
  RETRY_ONBOARDING,
  TENANT,
  TENANTS,
  UPDATE_TENANT,
  createActiveTenant,
  createTenant,
  signUp,
  uniqueSlug,
  type Account,
} from '../support/tenants';

const ADMIN_EMAIL = uniqueEmail('platform-admin');
const ACTORS = ['owner', 'admin', 'member', 'outsider', 'platformAdmin', 'anonymous'] as const;
type Actor = (typeof ACTORS)[number];
type Outcome = 'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

let t: TestHerald;
const accounts = {} as Record<Exclude<Actor, 'anonymous'>, Account>;
let shared: { id: string; slug: string };

beforeAll(async () => {
  t = await startTestHerald({ PLATFORM_ADMIN_EMAILS: ADMIN_EMAIL });
  for (const actor of ['owner', 'admin', 'member', 'outsider'] as const) accounts[actor] = await signUp(t);
  accounts.platformAdmin = await signUp(t, ADMIN_EMAIL);
  await createTenant(t, accounts.outsider); // the outsider belongs to a tenant, just not to ours
  shared = await tenantWithRoles();
});
afterAll(() => t.stop());

/** A tenant where owner, admin and member have their roles. */
async function tenantWithRoles(): Promise<{ id: string; slug: string }> {
  const tenant = await createActiveTenant(t, accounts.owner, uniqueSlug('matrix'));
  for (const [actor, role] of [['admin', 'ADMIN'], ['member', 'MEMBER']] as const) {
    await must(t.gql(ADD_MEMBER, { tenantId: tenant.id, email: accounts[actor].email, role }, accounts.owner.token));
  }
  return tenant;
}

/** A fresh account made MEMBER of the shared tenant, for operations that change or remove it. */
async function scratchMember(): Promise<Account> {
  const account = await signUp(t);
  await must(t.gql(ADD_MEMBER, { tenantId: shared.id, email: account.email, role: 'MEMBER' }, accounts.owner.token));
  return account;
}

async function must(response: Promise<GraphQLResponse>): Promise<GraphQLResponse> {
  const settled = await response;
  if (settled.errors) throw new Error(JSON.stringify(settled.errors));
  return settled;
}

const tokenOf = (actor: Actor) => (actor === 'anonymous' ? undefined : accounts[actor].token);
const outcomeOf = (response: GraphQLResponse): Outcome => (response.errors ? (errorCode(response) as Outcome) : 'ok');

const READ = { owner: 'ok', admin: 'ok', member: 'ok', outsider: 'NOT_FOUND', platformAdmin: 'ok', anonymous: 'UNAUTHENTICATED' };
const MANAGE = { ...READ, member: 'FORBIDDEN' };
const OWN = { ...MANAGE, admin: 'FORBIDDEN' };
// Access is granted to platform admins only; the shared tenant is ACTIVE, so there is nothing to retry.
const PLATFORM = { ...OWN, owner: 'FORBIDDEN', platformAdmin: 'CONFLICT' };

const operations: [string, Record<Actor, string>, (actor: Actor) => Promise<GraphQLResponse>][] = [
  ['tenant(id)', READ, (actor) => t.gql(TENANT, { id: shared.id }, tokenOf(actor))],
  ['tenant(slug)', READ, (actor) => t.gql(TENANT, { slug: shared.slug }, tokenOf(actor))],
  ['events(tenantId)', READ, (actor) => t.gql(`query($id: ID) { events(tenantId: $id) { edges { cursor } } }`, { id: shared.id }, tokenOf(actor))],
  ['updateTenant', MANAGE, (actor) => t.gql(UPDATE_TENANT, { id: shared.id, input: { name: `By ${actor}` } }, tokenOf(actor))],
  ['auditLog', MANAGE, (actor) => t.gql(AUDIT_LOG, { tenantId: shared.id }, tokenOf(actor))],
  ['addMember', MANAGE, async (actor) => {
    const newcomer = await signUp(t);
    return t.gql(ADD_MEMBER, { tenantId: shared.id, email: newcomer.email, role: 'MEMBER' }, tokenOf(actor));
  }],
  ['changeMemberRole', MANAGE, async (actor) => {
    const target = await scratchMember();
    return t.gql(CHANGE_ROLE, { tenantId: shared.id, userId: target.userId, role: 'ADMIN' }, tokenOf(actor));
  }],
  ['removeMember', MANAGE, async (actor) => {
    const target = await scratchMember();
    return t.gql(REMOVE_MEMBER, { tenantId: shared.id, userId: target.userId }, tokenOf(actor));
  }],
  ['retryTenantOnboarding', PLATFORM, (actor) => t.gql(RETRY_ONBOARDING, { id: shared.id }, tokenOf(actor))],
  // Each actor gets a tenant of its own to delete (with the same roles), since a delete succeeds once.
  ['deleteTenant', OWN, async (actor) => t.gql(DELETE_TENANT, { id: (await tenantWithRoles()).id }, tokenOf(actor))],
];

describe('who may do what to a tenant', () => {
  it.each(operations)('%s', async (_, expected, run) => {
    const outcomes: Record<string, string> = {};
    for (const actor of ACTORS) outcomes[actor] = outcomeOf(await run(actor));
    expect(outcomes).toEqual(expected);
  });

  it('lists a tenant for its members and platform admins only', async () => {
    const listed: Record<string, boolean | string> = {};
    for (const actor of ACTORS) {
      const response = await t.gql(TENANTS, { first: 200 }, tokenOf(actor));
      listed[actor] = response.errors
        ? outcomeOf(response)
        : response.data!.tenants.edges.some((edge: { node: { id: string } }) => edge.node.id === shared.id);
    }
    expect(listed).toEqual({ owner: true, admin: true, member: true, outsider: false, platformAdmin: true, anonymous: 'UNAUTHENTICATED' });
  });

  it("answers a non-member exactly as if the tenant did not exist", async () => {
    const token = accounts.outsider.token;
    const strip = (response: GraphQLResponse) => response.errors!.map(({ message, extensions }) => ({ message, extensions }));
    const missing = await t.gql(TENANT, { id: '0190a000-0000-7000-8000-000000000000' }, token);
    expect(strip(await t.gql(TENANT, { id: shared.id }, token))).toEqual(strip(missing));
    expect(strip(await t.gql(TENANT, { slug: shared.slug }, token))).toEqual(strip(missing));
    expect(strip(await t.gql(DELETE_TENANT, { id: shared.id }, token))).toEqual(strip(await t.gql(DELETE_TENANT, { id: 'nonsense' }, token)));
    expect(JSON.stringify(await t.gql(UPDATE_TENANT, { id: shared.id, input: { name: 'x' } }, token))).not.toContain(shared.slug);
  });
});
