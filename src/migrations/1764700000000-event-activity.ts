import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `eventActivity` counts a tenant's events of the last hour by `occurred_at`. The store is
 * append-only, so `occurred_at` follows the physical order of rows: a BRIN index (a few pages
 * for millions of rows, cheap to keep up) lets the count read only the last hour's blocks.
 */
export class EventActivity1764700000000 implements MigrationInterface {
  name = 'EventActivity1764700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX events_occurred_brin ON events USING brin (occurred_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX events_occurred_brin`);
  }
}
