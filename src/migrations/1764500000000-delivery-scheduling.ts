import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the listener runtime schedules by (issue 15): each delivery's tenant (copied from its
 * event, for claims that take turns between tenants and cap each one), the outbound dependency it
 * needs (a circuit breaker's key), and whether it is held out of the claimable set (due much
 * later, or waiting for an open breaker). Circuit breakers' shared state.
 */
export class DeliveryScheduling1764500000000 implements MigrationInterface {
  name = 'DeliveryScheduling1764500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE deliveries ADD COLUMN tenant_id uuid`);
    await db.query(`ALTER TABLE deliveries ADD COLUMN dependency varchar(200)`);
    await db.query(`ALTER TABLE deliveries ADD COLUMN held_until timestamptz`);
    // Unfinished and dead rows get their event's tenant; done rows are never claimed again.
    await db.query(
      `UPDATE deliveries d SET tenant_id = e.tenant_id FROM events e WHERE e.id = d.event_id AND d.status <> 'done'`,
    );
    // Claims walk the tenants that have claimable rows (one probe each) and take each one's
    // oldest due rows. Platform-level rows (no tenant) are one more queue, keyed by the nil uuid.
    await db.query(
      `CREATE INDEX deliveries_claimable ON deliveries (${TENANT_QUEUE_OF_D}, due_at)
       WHERE status IN ('pending', 'running') AND held_until IS NULL`,
    );
    // A tenant's runs under way, for its cap.
    await db.query(`CREATE INDEX deliveries_running ON deliveries (${TENANT_QUEUE_OF_D}) WHERE status = 'running'`);
    // Held rows are released into the claimable set as they come due, or when their breaker closes.
    await db.query(`CREATE INDEX deliveries_held ON deliveries (held_until) WHERE held_until IS NOT NULL`);
    await db.query(`CREATE INDEX deliveries_dependency ON deliveries (dependency) WHERE dependency IS NOT NULL AND status = 'pending'`);

    await db.query(`
      CREATE TABLE circuit_breakers (
        key varchar(200) PRIMARY KEY,
        state varchar(16) NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
        failures integer NOT NULL DEFAULT 0,
        failed_probes integer NOT NULL DEFAULT 0,
        opened_at timestamptz,
        retry_at timestamptz,
        probe_by varchar(64),
        probe_until timestamptz,
        last_error text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE circuit_breakers`);
    for (const index of ['deliveries_dependency', 'deliveries_held', 'deliveries_running', 'deliveries_claimable']) {
      await db.query(`DROP INDEX ${index}`);
    }
    for (const column of ['held_until', 'dependency', 'tenant_id']) await db.query(`ALTER TABLE deliveries DROP COLUMN ${column}`);
  }
}

/**
 * The queue a delivery row of alias `d` is in: its tenant, or the nil uuid for platform-level
 * work. Written out here rather than imported: a migration must not change when the code does.
 */
const TENANT_QUEUE_OF_D = `(coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid))`;
