import { randomBytes } from 'node:crypto';
import { REGISTER } from './graphql-client';
import { uniqueEmail, type TestHerald } from './herald';
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
}

/** Registers an account (with `email` when given: PLATFORM_ADMIN_EMAILS names admins). */
export async function signUp(t: TestHerald, email = uniqueEmail()): Promise<Account> {
  const response = await t.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'Tess Tenant' } });
  if (response.errors) throw new Error(`register failed: ${JSON.stringify(response.errors)}`);
  const auth = response.data!.register;
  return { token: auth.accessToken, userId: auth.user.id, email };
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
