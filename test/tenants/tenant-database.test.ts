import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { TenantDatabase, TenantSchemaMissingError } from '../../src/db/tenant-database';
import { TenantAuditEntry, TenantSetting } from '../../src/entities';
import { TENANT_MIGRATIONS, type TenantMigration } from '../../src/migrations/tenant';
import { gql } from '../support/graphql-client';
import { startTestHerald, type TestHerald } from '../support/herald';
import { UPDATE_TENANT, createActiveTenant, signUp, uniqueSlug, waitForStatus, type Account } from '../support/tenants';
import { waitFor } from '../support/wait';

let t: TestHerald;
let dataSource: DataSource;
let tenants: TenantDatabase;
beforeAll(async () => {
  t = await startTestHerald();
  // The test's own pool on the same database, to use the helper as the application does.
  dataSource = createDataSource(t.db.url, { embedded: false, applicationName: 'herald-test' });
  await dataSource.initialize();
  tenants = new TenantDatabase(dataSource);
});
afterAll(async () => {
  await dataSource.destroy();
  await t.stop();
});

const schemaOf = (tenantId: string) => `tenant_${tenantId.replace(/-/g, '')}`;

/** A tenant migration that ships after tenants exist. */
const addNotes: TenantMigration = {
  version: TENANT_MIGRATIONS.at(-1)!.version + 1,
  name: 'notes',
  async up(db) {
    await db.query(`CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL)`);
  },
};

describe('the tenant database helper', () => {
  let owners: Account[];
  let a: { id: string };
  let b: { id: string };
  beforeAll(async () => {
    owners = [await signUp(t), await signUp(t)];
    [a, b] = [await createActiveTenant(t, owners[0]), await createActiveTenant(t, owners[1])];
    for (const [tenant, owner] of [[a, owners[0]], [b, owners[1]]] as const) {
      await t.gql(UPDATE_TENANT, { id: tenant.id, input: { name: `Renamed ${tenant.id}` } }, owner.token);
    }
    await waitFor(async () => (await countAudit(a.id)) > 0 && (await countAudit(b.id)) > 0, { what: 'audit entries' });
  });

  async function countAudit(tenantId: string): Promise<number> {
    return tenants.transaction(tenantId, (db) => db.count(TenantAuditEntry));
  }

  it("never shows one tenant's rows through another tenant's transaction", async () => {
    const seenFromA = await tenants.transaction(a.id, async (db) => ({
      settings: await db.find(TenantSetting),
      audit: await db.find(TenantAuditEntry),
      raw: await db.query(`SELECT key, value FROM settings`),
    }));
    expect(seenFromA.settings.find((s) => s.key === 'admin.userId')?.value).toBe(owners[0].userId);
    expect(seenFromA.raw).toHaveLength(seenFromA.settings.length);
    expect(JSON.stringify(seenFromA)).not.toContain(owners[1].userId);
    const eventsOfB = await t.db.query<{ id: string }>(`SELECT id FROM events WHERE tenant_id = $1`, [b.id]);
    expect(seenFromA.audit.length).toBeGreaterThan(0);
    for (const entry of seenFromA.audit) expect(eventsOfB.map((e) => e.id)).not.toContain(entry.eventId);
  });

  it('keeps landlord tables out of sight inside, and restores the search_path after', async () => {
    await expect(tenants.transaction(a.id, (db) => db.query(`SELECT count(*) FROM tenants`))).rejects.toThrow(
      /relation "tenants" does not exist/,
    );
    await dataSource.transaction(async (manager) => {
      await tenants.within(manager, a.id, (db) => db.count(TenantSetting));
      // Later statements of the same transaction resolve landlord tables again.
      const [{ count }] = await manager.query(`SELECT count(*)::int AS count FROM tenants`);
      expect(count).toBeGreaterThan(0);
    });
    const [{ search_path: after }] = await dataSource.query(`SHOW search_path`);
    expect(after).not.toContain('tenant_');
  });

  it('refuses a tenant without a schema', async () => {
    await expect(tenants.transaction('00000000-0000-7000-8000-000000000000', async () => 1)).rejects.toBeInstanceOf(
      TenantSchemaMissingError,
    );
  });
});

describe('tenant migrations', () => {
  it('applies a migration added later to every existing tenant schema at start-up, and to new tenants', async () => {
    const owner = await signUp(t);
    const existing = [await createActiveTenant(t, owner), await createActiveTenant(t, owner)];

    // The next release starts with one more tenant migration; the old instance then stops (so this
    // test comes last in the file).
    const next = await t.startPeer({}, { tenantMigrations: [...TENANT_MIGRATIONS, addNotes] });
    await t.herald.stop();
    for (const tenant of existing) {
      const applied = await t.db.query<{ name: string }>(
        `SELECT name FROM "${schemaOf(tenant.id)}".tenant_migrations ORDER BY version`,
      );
      expect(applied.map((m) => m.name)).toEqual(['tenant-base', 'notes']);
      await t.db.query(`INSERT INTO "${schemaOf(tenant.id)}".notes (body) VALUES ('works')`);
    }
    const versions = await t.db.query<{ schema_version: string }>(
      `SELECT schema_version::text FROM tenants WHERE id = ANY($1::uuid[])`,
      [existing.map((tenant) => tenant.id)],
    );
    expect(versions.map((v) => v.schema_version)).toEqual([String(addNotes.version), String(addNotes.version)]);
    // Every tenant with a schema was behind, and each was migrated.
    const [{ live }] = await t.db.query<{ live: number }>(`SELECT count(*)::int AS live FROM tenants WHERE status = 'ACTIVE'`);
    const report = t.logs.find((line) => line.msg === 'tenant schemas migrated');
    expect(report).toMatchObject({ behind: live, migrated: live, failed: 0 });

    const created = await gql(next.url, `mutation($input: CreateTenantInput!) { createTenant(input: $input) { id } }`, {
      input: { name: 'Later', slug: uniqueSlug('later') },
    }, { token: owner.token });
    const laterId = created.data!.createTenant.id;
    await waitForStatus(t, laterId, 'ACTIVE');
    expect(await t.db.query(`SELECT * FROM "${schemaOf(laterId)}".notes`)).toEqual([]);
  });
});
