import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What live subscriptions read: the user a security event is about, and the tenants that user
 * belonged to when it happened (their OWNER/ADMIN dashboards see it).
 */
export class EventStreams1764230400002 implements MigrationInterface {
  name = 'EventStreams1764230400002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE events ADD COLUMN subject_user_id uuid`);
    await db.query(`ALTER TABLE events ADD COLUMN audience_tenant_ids uuid[] NOT NULL DEFAULT '{}'`);
    await db.query(`CREATE INDEX events_subject_seq ON events (subject_user_id, seq) WHERE subject_user_id IS NOT NULL`);
    await db.query(`CREATE INDEX events_audience ON events USING gin (audience_tenant_ids)`);
    await db.query(`CREATE INDEX events_security_seq ON events (seq) WHERE name LIKE 'auth.%'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX events_security_seq`);
    await db.query(`DROP INDEX events_audience`);
    await db.query(`DROP INDEX events_subject_seq`);
    await db.query(`ALTER TABLE events DROP COLUMN audience_tenant_ids`);
    await db.query(`ALTER TABLE events DROP COLUMN subject_user_id`);
  }
}
