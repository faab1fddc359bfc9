import type { TenantMigration } from './tenant-migration';

/** A tenant's audit log and settings. */
export const tenantBase: TenantMigration = {
  version: 1764230500000,
  name: 'tenant-base',
  async up(db) {
    await db.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        actor_id uuid,
        action varchar(100) NOT NULL,
        subject_id uuid,
        ip varchar(64),
        user_agent varchar(512),
        request_id varchar(64),
        occurred_at timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE settings (
        key varchar(100) PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  },
};
