import { randomBytes } from 'node:crypto';
import { REGISTER } from './graphql-client';
import { uniqueEmail, type TestHerald } from './herald';
import { inbox, tokenIn, waitForLinkToken } from './mailbox';
import { waitFor } from './wait';

export const TENANT_FIELDS = `id slug name status createdAt updatedAt
  onboarding { step status completedAt error }
  members { role createdAt user { id email } }`;

export const CREATE_TENANT = `mutation CreateTenant($input: CreateTenantInput!) { createTenant(input: $input) { ${TENANT_FIELDS} } }`;
export const TENANT = `query Tenant($id: ID, $slug: String) { tenant(id: $id, slug: $slug) { ${TENANT_FIELDS} } }`;
export const TENANTS = `query Tenants($first: Int, $after: String) {
  tenants(first: $first, after: $after) { edges { cursor node { id slug } } pageInfo { hasNextPage endCursor } }
}`;
export const UPDATE_TENANT = `mutation UpdateTenant($id: ID!, $input: UpdateTenantInput!) { updateTenant(id: $id, input: $input) { id slug name } }`;
export const DELETE_TENANT = `mutation DeleteTenant($id: ID!) { deleteTenant(id: $id) { id status } }`;
export const RETRY_ONBOARDING = `mutation Retry($id: ID!) { retryTenantOnboarding(id: $id) { id status onboarding { step status error } } }`;
export const ADD_MEMBER = `mutation AddMember($tenantId: ID!, $email: String!, $role: Role!) {
  addMember(tenantId: $tenantId, email: $email, role: $role) { role user { id email } }
}`;
export const INVITE_MEMBER = `mutation InviteMember($tenantId: ID!, $email: String!, $role: Role!) {
  inviteMember(tenantId: $tenantId, email: $email, role: $role) { id email role status expiresAt createdAt tenant { id name } invitedBy { id } }
}`;
export const ACCEPT_INVITATION = `mutation Accept($token: String!) { acceptInvitation(token: $token) { role user { id email } } }`;
export const DECLINE_INVITATION = `mutation Decline($token: String!) { declineInvitation(token: $token) }`;
export const RESEND_INVITATION = `mutation Resend($id: ID!) { resendInvitation(id: $id) { id status expiresAt } }`;
export const REVOKE_INVITATION = `mutation Revoke($id: ID!) { revokeInvitation(id: $id) { id status } }`;
export const LEAVE_TENANT = `mutation Leave($tenantId: ID!) { leaveTenant(tenantId: $tenantId) }`;
export const REMOVE_MEMBER = `mutation RemoveMember($tenantId: ID!, $userId: ID!) { removeMember(tenantId: $tenantId, userId: $userId) }`;
export const CHANGE_ROLE = `mutation ChangeRole($tenantId: ID!, $userId: ID!, $role: Role!) {
  changeMemberRole(tenantId: $tenantId, userId: $userId, role: $role) { role user { id } }
}`;
export const AUDIT_LOG = `query AuditLog($tenantId: ID!, $first: Int, $after: String) {
  auditLog(tenantId: $tenantId, first: $first, after: $after) {
    edges { cursor node { id action actorId actor { id } subjectId ip userAgent requestId eventId occurredAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export interface Account {
  token: string;
  userId: string;
  email: string;
  /** Set once its email was verified through the link (signUp with `verified`, or `join`). */
  verified?: boolean;
}

/**
 * Registers an account (with `email` when given). With `verified`, it then opens the link of its
 * welcome email, as its owner would: a PLATFORM_ADMIN_EMAILS address is an admin only once verified.
 */
export async function signUp(t: TestHerald, email = uniqueEmail(), options: { verified?: boolean } = {}): Promise<Account> {
  const response = await t.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'Tess Tenant' } });
  if (response.errors) throw new Error(`register failed: ${JSON.stringify(response.errors)}`);
  const auth = response.data!.register;
  const account: Account = { token: auth.accessToken, userId: auth.user.id, email };
  if (options.verified) {
    await verifyEmail(t, account.email);
    account.verified = true;
  }
  return account;
}

export const VERIFY_EMAIL = `mutation VerifyEmail($token: String!) { verifyEmail(token: $token) { id email emailVerified isPlatformAdmin } }`;

/** Opens the verification link of the newest welcome email to `email` (waiting for it). */
export async function verifyEmail(t: Pick<TestHerald, 'smtp' | 'gql'>, email: string): Promise<void> {
  const token = await waitForLinkToken(t.smtp, email, '/console/verify-email');
  const response = await t.gql(VERIFY_EMAIL, { token });
  if (response.errors) throw new Error(`verifyEmail failed: ${JSON.stringify(response.errors)}`);
}

/** A slug no other test uses. */
export function uniqueSlug(label = 't'): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}

/** Creates a tenant through the API and returns it as createTenant answered. */
export async function createTenant(t: TestHerald, owner: Account, slug = uniqueSlug(), name = 'Acme Corp') {
  const response = await t.gql(CREATE_TENANT, { input: { name, slug } }, owner.token);
  if (response.errors) throw new Error(`createTenant failed: ${JSON.stringify(response.errors)}`);
  return response.data!.createTenant;
}

/** Waits until the tenant's status (read from the database) is `status`. */
export async function waitForStatus(t: TestHerald, tenantId: string, status: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await t.db.query<{ status: string }>(`SELECT status FROM tenants WHERE id = $1`, [tenantId]);
      return row?.status === status;
    },
    { timeoutMs, what: `tenant ${tenantId} to be ${status}` },
  );
}

/** Creates a tenant and waits until its onboarding made it ACTIVE. */
export async function createActiveTenant(t: TestHerald, owner: Account, slug = uniqueSlug()) {
  const tenant = await createTenant(t, owner, slug);
  await waitForStatus(t, tenant.id, 'ACTIVE');
  return tenant;
}

/** The names of a tenant's events, in commit order. */
export async function tenantEventNames(t: TestHerald, tenantId: string): Promise<string[]> {
  const rows = await t.db.query<{ name: string }>(`SELECT name FROM events WHERE tenant_id = $1 ORDER BY seq`, [tenantId]);
  return rows.map((row) => row.name);
}

/** The Postgres schemas that exist for a tenant (none or one). */
export async function tenantSchemas(t: TestHerald, tenantId: string): Promise<string[]> {
  const rows = await t.db.query<{ schema_name: string }>(
    `SELECT schema_name FROM information_schema.schemata WHERE schema_name = $1`,
    [`tenant_${tenantId.replace(/-/g, '')}`],
  );
  return rows.map((row) => row.schema_name);
}

/**
 * Makes `account` a member of the tenant with `role` the way people join: `inviter` invites its
 * address, and the account (its email verified first, through its welcome email, if not yet)
 * accepts with the token read from the invitation email.
 */
export async function join(t: TestHerald, inviter: Account, tenantId: string, account: Account, role: string): Promise<void> {
  if (!account.verified) {
    await verifyEmail(t, account.email);
    account.verified = true;
  }
  const before = (await inbox(t.smtp, account.email)).filter((mail) => tokenIn(mail.text, '/console/invitations/accept')).length;
  const invited = await t.gql(INVITE_MEMBER, { tenantId, email: account.email, role }, inviter.token);
  if (invited.errors) throw new Error(`inviteMember failed: ${JSON.stringify(invited.errors)}`);
  const token = await waitForLinkToken(t.smtp, account.email, '/console/invitations/accept', before + 1);
  const accepted = await t.gql(ACCEPT_INVITATION, { token }, account.token);
  if (accepted.errors) throw new Error(`acceptInvitation failed: ${JSON.stringify(accepted.errors)}`);
}
