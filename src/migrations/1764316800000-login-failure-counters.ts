import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Counters of failed logins per account + IP pair, per IP and per account (security monitoring). */
export class LoginFailureCounters1764316800000 implements MigrationInterface {
  name = 'LoginFailureCounters1764316800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE login_failure_counters (
        scope varchar(16) NOT NULL CHECK (scope IN ('pair', 'ip', 'account')),
        key varchar(320) NOT NULL,
        failures integer NOT NULL DEFAULT 0,
        last_failure_at timestamptz,
        locked_until timestamptz,
        PRIMARY KEY (scope, key)
      )`);
    // Pruning finds the counters that have expired by their last failure.
    await db.query(`CREATE INDEX login_failure_counters_last_failure ON login_failure_counters (last_failure_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE login_failure_counters`);
  }
}
