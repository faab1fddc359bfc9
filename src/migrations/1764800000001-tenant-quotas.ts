import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tenant quota counts a user's live tenants by creator. */
export class TenantQuotas1764800000001 implements MigrationInterface {
  name = 'TenantQuotas1764800000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX tenants_created_by ON tenants (created_by, created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX tenants_created_by`);
  }
}
