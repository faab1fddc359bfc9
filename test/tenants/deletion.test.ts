import { errorCode } from '../support/graphql-client';
import { startTestHerald, type TestHerald } from '../support/herald';
import {
  DELETE_TENANT,
  TENANT,
  TENANTS,
  createActiveTenant,
  createTenant,
  join,
  signUp,
  tenantEventNames,
  tenantSchemas,
  waitForStatus,
} from '../support/tenants';
import { waitFor } from '../support/wait';
import { NOT_DONE_D } from '../support/deliveries';

let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald();
});
afterAll(() => t.stop());

describe('deleting a tenant', () => {
  it('is DELETING at once, then purged down to a tombstone, and its slug can be taken again', async () => {
    const owner = await signUp(t);
    const member = await signUp(t);
    const tenant = await createActiveTenant(t, owner);
    await join(t, owner, tenant.id, member, 'MEMBER');
    expect(await tenantSchemas(t, tenant.id)).toHaveLength(1);

    const deleted = await t.gql(DELETE_TENANT, { id: tenant.id }, owner.token);
    expect(deleted.data!.deleteTenant).toEqual({ id: tenant.id, status: 'DELETING' });
    // Gone for its members at once, whatever the purge is doing.
    for (const account of [owner, member]) {
      expect(errorCode(await t.gql(TENANT, { id: tenant.id }, account.token))).toBe('NOT_FOUND');
      const listed = (await t.gql(TENANTS, {}, account.token)).data!.tenants.edges;
      expect(listed.map((edge: { node: { id: string } }) => edge.node.id)).not.toContain(tenant.id);
    }

    await waitForStatus(t, tenant.id, 'DELETED');
    expect(await tenantSchemas(t, tenant.id)).toEqual([]);
    expect(await t.db.query(`SELECT * FROM memberships WHERE tenant_id = $1`, [tenant.id])).toEqual([]);
    const [tombstone] = await t.db.query(`SELECT * FROM tenants WHERE id = $1`, [tenant.id]);
    expect(tombstone).toMatchObject({
      id: tenant.id,
      slug: tenant.slug,
      status: 'DELETED',
      name: null,
      created_by: null,
      onboarding_step: null,
      onboarding_error: null,
      onboarding_completed_at: null,
      deleted_at: expect.any(Date),
    });
    const names = await tenantEventNames(t, tenant.id);
    expect(names.indexOf('tenant.deleted')).toBeGreaterThan(-1);
    expect(names.indexOf('tenant.database.dropped')).toBeGreaterThan(names.indexOf('tenant.deleted'));

    // The slug is free again, for a new tenant with a schema of its own.
    const again = await createActiveTenant(t, member, tenant.slug);
    expect(again.id).not.toBe(tenant.id);
    expect(again.slug).toBe(tenant.slug);
    expect(await tenantSchemas(t, again.id)).toHaveLength(1);
  });

  it('leaves no schema behind when the tenant is deleted while it is still being provisioned', async () => {
    const owner = await signUp(t);
    const tenant = await createTenant(t, owner);
    expect((await t.gql(DELETE_TENANT, { id: tenant.id }, owner.token)).errors).toBeUndefined();
    await waitForStatus(t, tenant.id, 'DELETED');
    // Every delivery of the tenant's events has run (the steps that came after the purge did nothing).
    await waitForDeliveriesDone(tenant.id);
    expect(await tenantSchemas(t, tenant.id)).toEqual([]);
    const [{ status }] = await t.db.query<{ status: string }>(`SELECT status FROM tenants WHERE id = $1`, [tenant.id]);
    expect(status).toBe('DELETED');
  });

  it('cannot be done twice', async () => {
    const owner = await signUp(t);
    const tenant = await createTenant(t, owner);
    expect((await t.gql(DELETE_TENANT, { id: tenant.id }, owner.token)).errors).toBeUndefined();
    expect(errorCode(await t.gql(DELETE_TENANT, { id: tenant.id }, owner.token))).toBe('NOT_FOUND');
  });
});

async function waitForDeliveriesDone(tenantId: string): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await t.db.query<{ open: number }>(
        `SELECT count(*)::int AS open FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE e.tenant_id = $1 AND ${NOT_DONE_D}`,
        [tenantId],
      );
      return row.open === 0;
    },
    { what: `every delivery of tenant ${tenantId} to be done` },
  );
}
