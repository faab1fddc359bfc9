import { buildSchema, getNamedType, type GraphQLField } from 'graphql';
import { loadTypeDefs } from '../../src/schema/load';
import { errorCode, LOGIN, type GraphQLResponse } from '../support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from '../support/herald';
import {
  ADD_MEMBER,
  AUDIT_LOG,
  INVITE_MEMBER,
  LEAVE_TENANT,
  RESEND_INVITATION,
  REVOKE_INVITATION,
  CHANGE_ROLE,
  DELETE_TENANT,
  REMOVE_MEMBER,
  RETRY_ONBOARDING,
  TENANT,
  TENANTS,
  UPDATE_TENANT,
  createActiveTenant,
  createTenant,
  join,
  signUp,
  uniqueSlug,
  type Account,
} from '../support/tenants';
import { waitFor } from '../support/wait';
import { connect, SECURITY_EVENTS, TENANT_EVENTS } from '../support/ws-client';

/**
 * The access matrix, generated from the schema: every Query, Mutation and Subscription field that
 * takes a tenant is tried by every kind of caller against a real server, and each answer is
 * checked against the rule table below. A root field the table does not know fails the test, so a
 * new operation must be given a rule (or be declared not tenant-scoped).
 */
const ADMIN_EMAIL = uniqueEmail('platform-admin');
const ACTORS = ['owner', 'admin', 'member', 'outsider', 'platformAdmin', 'anonymous'] as const;
type Actor = (typeof ACTORS)[number];
/** A GraphQL error code, 'ok', or how a WebSocket closed ('closed 4403': no valid token). */
type Outcome = string;
type Expected = Record<Actor, Outcome>;

let t: TestHerald;
const accounts = {} as Record<Exclude<Actor, 'anonymous'>, Account>;
let shared: { id: string; slug: string };

beforeAll(async () => {
  t = await startTestHerald({ PLATFORM_ADMIN_EMAILS: ADMIN_EMAIL });
  for (const actor of ['owner', 'admin', 'member', 'outsider'] as const) accounts[actor] = await signUp(t);
  accounts.platformAdmin = await signUp(t, ADMIN_EMAIL, { verified: true });
  await createTenant(t, accounts.outsider); // the outsider belongs to a tenant, just not to ours
  shared = await tenantWithRoles();
  // Security events about members reach their tenant from the moment they are members: one each.
  for (const actor of ['owner', 'admin', 'member'] as const) {
    await must(t.gql(LOGIN, { input: { email: accounts[actor].email, password: 'correct horse battery' } }));
  }
});
afterAll(() => t.stop());

/** A tenant where owner, admin and member have their roles. */
async function tenantWithRoles(): Promise<{ id: string; slug: string }> {
  const tenant = await createActiveTenant(t, accounts.owner, uniqueSlug('matrix'));
  for (const [actor, role] of [['admin', 'ADMIN'], ['member', 'MEMBER']] as const) {
    await join(t, accounts.owner, tenant.id, accounts[actor], role);
  }
  return tenant;
}

/** A fresh account made MEMBER of the shared tenant, for operations that change or remove it. */
async function scratchMember(): Promise<Account> {
  const account = await signUp(t);
  await join(t, accounts.owner, shared.id, account, 'MEMBER');
  return account;
}

/** A PENDING invitation of the shared tenant, to an address nobody has. */
async function pendingInvitation(): Promise<string> {
  const invited = await must(t.gql(INVITE_MEMBER, { tenantId: shared.id, email: uniqueEmail('invitee'), role: 'MEMBER' }, accounts.owner.token));
  return invited.data!.inviteMember.id;
}

async function must(response: Promise<GraphQLResponse>): Promise<GraphQLResponse> {
  const settled = await response;
  if (settled.errors) throw new Error(JSON.stringify(settled.errors));
  return settled;
}

const tokenOf = (actor: Actor) => (actor === 'anonymous' ? undefined : accounts[actor].token);
const outcomeOf = (response: GraphQLResponse): Outcome => (response.errors ? (errorCode(response) as Outcome) : 'ok');

/**
 * Subscribes over a real WebSocket with `after: "0"`, so an allowed subscription answers at once
 * with the events replayed; a refused one answers with an error, or the socket closes.
 */
async function subscribeAs(actor: Actor, query: string, variables: Record<string, unknown>): Promise<Outcome> {
  const socket = connect(t.url, tokenOf(actor) ?? null);
  const closed = socket.closed.then((event) => `closed ${event.code}`);
  try {
    const live = socket.subscribe(query, { ...variables, after: '0' });
    const settled = await waitFor(() => live.results.length > 0 || live.error !== undefined || live.completed, { what: `${actor}'s answer` }).then(() => live);
    if (settled.results[0]) return settled.results[0].errors ? settled.results[0].errors[0].extensions.code : 'ok';
    if (Array.isArray(settled.error)) return settled.error[0].extensions.code;
    return await closed;
  } finally {
    await socket.dispose();
  }
}

const READ: Expected = { owner: 'ok', admin: 'ok', member: 'ok', outsider: 'NOT_FOUND', platformAdmin: 'ok', anonymous: 'UNAUTHENTICATED' };
const MANAGE: Expected = { ...READ, member: 'FORBIDDEN' };
const OWN: Expected = { ...MANAGE, admin: 'FORBIDDEN' };
// Platform admins only; the shared tenant is ACTIVE, so there is nothing to retry.
const PLATFORM: Expected = { ...OWN, owner: 'FORBIDDEN', platformAdmin: 'CONFLICT' };
/** Platform admins' support tools, which succeed. */
const SUPPORT: Expected = { ...PLATFORM, platformAdmin: 'ok' };
/** Leaving: every member but the last owner; a platform admin who is not a member has nothing to leave. */
const LEAVE: Expected = { ...READ, owner: 'CONFLICT', platformAdmin: 'NOT_FOUND' };
/** Over WebSocket, no token means no connection: the socket closes with 4403 before any operation. */
const LIVE = (expected: Expected): Expected => ({ ...expected, anonymous: 'closed 4403' });

/** The rule table: schema coordinate, variant, who gets what, and how to try it. */
const RULES: [coordinate: string, variant: string, expected: Expected, run: (actor: Actor) => Promise<Outcome>][] = [
  ['Query.tenant', 'by id', READ, async (actor) => outcomeOf(await t.gql(TENANT, { id: shared.id }, tokenOf(actor)))],
  ['Query.tenant', 'by slug', READ, async (actor) => outcomeOf(await t.gql(TENANT, { slug: shared.slug }, tokenOf(actor)))],
  ['Query.events', '', READ, async (actor) => outcomeOf(await t.gql(`query($id: ID) { events(tenantId: $id) { edges { cursor } } }`, { id: shared.id }, tokenOf(actor)))],
  ['Query.eventActivity', '', READ, async (actor) => outcomeOf(await t.gql(`query($id: ID!) { eventActivity(tenantId: $id) { upTo } }`, { id: shared.id }, tokenOf(actor)))],
  ['Query.webhookEndpoints', '', MANAGE, async (actor) => outcomeOf(await t.gql(`query($id: ID!) { webhookEndpoints(tenantId: $id) { id } }`, { id: shared.id }, tokenOf(actor)))],
  ['Mutation.createWebhookEndpoint', '', MANAGE, async (actor) => outcomeOf(await t.gql(
    `mutation($id: ID!, $input: WebhookEndpointInput!) { createWebhookEndpoint(tenantId: $id, input: $input) { endpoint { id } } }`,
    { id: shared.id, input: { url: `https://hooks.example.com/${actor}` } },
    tokenOf(actor),
  ))],
  ['Query.auditLog', '', MANAGE, async (actor) => outcomeOf(await t.gql(AUDIT_LOG, { tenantId: shared.id }, tokenOf(actor)))],
  ['Mutation.updateTenant', '', MANAGE, async (actor) => outcomeOf(await t.gql(UPDATE_TENANT, { id: shared.id, input: { name: `By ${actor}` } }, tokenOf(actor)))],
  ['Mutation.addMember', '', SUPPORT, async (actor) => {
    const newcomer = await signUp(t);
    return outcomeOf(await t.gql(ADD_MEMBER, { tenantId: shared.id, email: newcomer.email, role: 'MEMBER' }, tokenOf(actor)));
  }],
  ['Mutation.changeMemberRole', '', MANAGE, async (actor) => {
    const target = await scratchMember();
    return outcomeOf(await t.gql(CHANGE_ROLE, { tenantId: shared.id, userId: target.userId, role: 'ADMIN' }, tokenOf(actor)));
  }],
  ['Mutation.removeMember', '', MANAGE, async (actor) => {
    const target = await scratchMember();
    return outcomeOf(await t.gql(REMOVE_MEMBER, { tenantId: shared.id, userId: target.userId }, tokenOf(actor)));
  }],
  ['Mutation.inviteMember', '', MANAGE, async (actor) => {
    return outcomeOf(await t.gql(INVITE_MEMBER, { tenantId: shared.id, email: uniqueEmail('invitee'), role: 'MEMBER' }, tokenOf(actor)));
  }],
  ['Query.invitations', '', MANAGE, async (actor) => outcomeOf(await t.gql(`query($id: ID!) { invitations(tenantId: $id) { id } }`, { id: shared.id }, tokenOf(actor)))],
  ['Mutation.resendInvitation', '', MANAGE, async (actor) => outcomeOf(await t.gql(RESEND_INVITATION, { id: await pendingInvitation() }, tokenOf(actor)))],
  ['Mutation.revokeInvitation', '', MANAGE, async (actor) => outcomeOf(await t.gql(REVOKE_INVITATION, { id: await pendingInvitation() }, tokenOf(actor)))],
  // Each actor leaves a tenant of its own (with the same roles), since leaving succeeds once.
  ['Mutation.leaveTenant', '', LEAVE, async (actor) => outcomeOf(await t.gql(LEAVE_TENANT, { tenantId: (await tenantWithRoles()).id }, tokenOf(actor)))],
  ['Mutation.retryTenantOnboarding', '', PLATFORM, async (actor) => outcomeOf(await t.gql(RETRY_ONBOARDING, { id: shared.id }, tokenOf(actor)))],
  // Each actor gets a tenant of its own to delete (with the same roles), since a delete succeeds once.
  ['Mutation.deleteTenant', '', OWN, async (actor) => outcomeOf(await t.gql(DELETE_TENANT, { id: (await tenantWithRoles()).id }, tokenOf(actor)))],
  ['Subscription.tenantEvents', '', LIVE(READ), (actor) => subscribeAs(actor, TENANT_EVENTS, { tenantId: shared.id })],
  ['Subscription.securityEvents', 'with tenantId', LIVE(MANAGE), (actor) => subscribeAs(actor, SECURITY_EVENTS, { tenantId: shared.id })],
];

/** Root fields that take no tenant, and why; tenant-free access is tested in their own suites. */
const NOT_TENANT_SCOPED: Record<string, string> = {
  'Query.me': 'the caller only',
  'Query.tenants': "lists the caller's tenants (tested below)",
  'Query.eventStats': 'platform admins, every tenant (events-api.test.ts)',
  'Query.deliveries': 'platform admins (events-api.test.ts)',
  'Mutation.register': 'anyone',
  'Mutation.login': 'anyone',
  'Mutation.refreshToken': 'the holder of the token',
  'Mutation.logout': 'the holder of the token',
  'Mutation.logoutEverywhere': 'the caller only',
  'Mutation.createTenant': 'any signed-in user, who becomes its OWNER',
  'Mutation.retryDelivery': 'platform admins (events-api.test.ts)',
  'Mutation.retryDeadDeliveries': 'platform admins (events-api.test.ts)',
  'Subscription.serverTime': 'any signed-in user',
  'Query.sessions': 'the caller only (accounts.test.ts)',
  'Query.myInvitations': "invitations to the caller's verified address (invitations.test.ts)",
  'Mutation.verifyEmail': 'the holder of the emailed link',
  'Mutation.resendVerificationEmail': 'the caller only',
  'Mutation.requestPasswordReset': 'anyone; the answer tells nothing',
  'Mutation.resetPassword': 'the holder of the emailed link',
  'Mutation.changePassword': 'the caller only, with the current password',
  'Mutation.changeEmail': 'the caller only, with the current password',
  'Mutation.revokeSession': "the caller's own sessions (accounts.test.ts)",
  'Mutation.deleteAccount': 'the caller only, with the password (erasure.test.ts)',
  'Mutation.unlockAccount': 'platform admins (accounts.test.ts)',
  'Mutation.sendVerificationEmail': 'platform admins (accounts.test.ts)',
  'Mutation.endUserSessions': 'platform admins (accounts.test.ts)',
  'Mutation.acceptInvitation': "the invitee, by the emailed link, signed in with the verified address (invitations.test.ts)",
  'Mutation.declineInvitation': 'the holder of the emailed link (invitations.test.ts)',
  'Query.webhookAttempts': "by endpoint id: OWNER, ADMIN and platform admins of the endpoint's tenant (webhooks.test.ts)",
  'Mutation.updateWebhookEndpoint': "by endpoint id (webhooks.test.ts, 'who may manage endpoints')",
  'Mutation.deleteWebhookEndpoint': "by endpoint id (webhooks.test.ts, 'who may manage endpoints')",
  'Mutation.rotateWebhookSecret': "by endpoint id (webhooks.test.ts, 'who may manage endpoints')",
  'Mutation.sendTestWebhook': "by endpoint id (webhooks.test.ts, 'who may manage endpoints')",
  'Mutation.retryWebhookMessage': "by endpoint id (webhooks.test.ts, 'who may manage endpoints')",
  'Mutation.replayWebhookMessages': "by endpoint id (webhooks.test.ts, 'who may manage endpoints')",
};

/**
 * A field takes a tenant when it has a `tenantId` argument, or an `id`/`slug` and returns a Tenant,
 * or an `id` and returns one of a tenant's invitations.
 */
function takesTenant(field: GraphQLField<unknown, unknown>): boolean {
  const args = field.args.map((arg) => arg.name);
  const returns = getNamedType(field.type).name;
  return (
    args.includes('tenantId') ||
    (returns === 'Tenant' && (args.includes('id') || args.includes('slug'))) ||
    (returns === 'Invitation' && args.includes('id'))
  );
}

describe('the access matrix, generated from the schema', () => {
  const schema = buildSchema(loadTypeDefs().join('\n'));
  const rootFields = [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!].flatMap((type) =>
    Object.values(type.getFields()).map((field) => ({ coordinate: `${type.name}.${field.name}`, field })),
  );

  it('has a rule for every root field that takes a tenant, and knows every other root field', () => {
    const tenantFields = rootFields.filter(({ field }) => takesTenant(field)).map(({ coordinate }) => coordinate);
    const ruled = [...new Set(RULES.map(([coordinate]) => coordinate))];
    expect(ruled.sort()).toEqual(tenantFields.sort());
    const unknown = rootFields.map(({ coordinate }) => coordinate).filter((c) => !tenantFields.includes(c) && !(c in NOT_TENANT_SCOPED));
    expect(unknown).toEqual([]);
    expect(Object.keys(NOT_TENANT_SCOPED).filter((c) => !rootFields.some((f) => f.coordinate === c))).toEqual([]);
  });

  it.each(RULES)('%s %s', async (_coordinate, _variant, expected, run) => {
    const outcomes = {} as Expected;
    for (const actor of ACTORS) outcomes[actor] = await run(actor);
    expect(outcomes).toEqual(expected);
  });
});

describe('who may see a tenant', () => {
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
