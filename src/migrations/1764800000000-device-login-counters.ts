import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Failed logins counted per device too (a login presenting a device token is throttled on its own). */
export class DeviceLoginCounters1764800000000 implements MigrationInterface {
  name = 'DeviceLoginCounters1764800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE login_failure_counters DROP CONSTRAINT login_failure_counters_scope_check`);
    await db.query(
      `ALTER TABLE login_failure_counters ADD CONSTRAINT login_failure_counters_scope_check
       CHECK (scope IN ('device', 'pair', 'ip', 'account'))`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM login_failure_counters WHERE scope = 'device'`);
    await db.query(`ALTER TABLE login_failure_counters DROP CONSTRAINT login_failure_counters_scope_check`);
    await db.query(
      `ALTER TABLE login_failure_counters ADD CONSTRAINT login_failure_counters_scope_check CHECK (scope IN ('pair', 'ip', 'account'))`,
    );
  }
}
