import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenants and memberships (landlord). Each tenant's own tables are tenant migrations (./tenant). */
export class Tenants1764230400100 implements MigrationInterface {
  name = 'Tenants1764230400100';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        slug varchar(40) NOT NULL,
        name varchar(100),
        status varchar(16) NOT NULL
          CHECK (status IN ('PROVISIONING', 'ACTIVE', 'FAILED', 'DELETING', 'DELETED')),
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        onboarding_step varchar(32),
        onboarding_error text,
        onboarding_completed_at timestamptz,
        schema_version bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    // Unique among live tenants only: a deleted tenant's slug can be taken again. Two concurrent
    // inserts of one slug: the second waits for the first and fails with a unique violation.
    await db.query(`CREATE UNIQUE INDEX tenants_slug_live ON tenants (slug) WHERE deleted_at IS NULL`);
    // Start-up looks for tenants whose schema is behind the newest tenant migration.
    await db.query(`CREATE INDEX tenants_schema_version ON tenants (schema_version) WHERE deleted_at IS NULL`);

    await db.query(`
      CREATE TABLE memberships (
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role varchar(16) NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, user_id)
      )`);
    await db.query(`CREATE INDEX memberships_user ON memberships (user_id, tenant_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE memberships`);
    await db.query(`DROP TABLE tenants`);
  }
}
