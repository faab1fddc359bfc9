import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed webhooks (issue 16): a tenant's endpoints, and a log of every HTTP attempt. A webhook
 * message is a delivery row of the runtime (listener `deliver-webhook`, dependency
 * `webhook:<endpoint id>`), so one event has one delivery row per endpoint: the unique key of
 * deliveries becomes (event, listener, dependency).
 */
export class Webhooks1764900000000 implements MigrationInterface {
  name = 'Webhooks1764900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        url varchar(2048) NOT NULL,
        event_types varchar(100)[] NOT NULL DEFAULT '{}',
        description varchar(500),
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason varchar(500),
        secret_encrypted text NOT NULL,
        previous_secret_encrypted text,
        previous_secret_expires_at timestamptz,
        first_failure_at timestamptz,
        last_success_at timestamptz,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    // The event store looks up a tenant's live endpoints in every append.
    await db.query(
      `CREATE INDEX webhook_endpoints_routing ON webhook_endpoints (tenant_id) WHERE enabled AND deleted_at IS NULL`,
    );

    await db.query(`
      CREATE TABLE webhook_attempts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id),
        event_id uuid NOT NULL,
        event_name varchar(100) NOT NULL,
        attempt integer NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
        response_status integer,
        response_body varchar(1024),
        error varchar(1000),
        duration_ms integer,
        next_attempt_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id)`);
    // One message's attempts: (endpoint, event) is its delivery row's key.
    await db.query(`CREATE INDEX webhook_attempts_message ON webhook_attempts (endpoint_id, event_id)`);

    await db.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_event_id_listener_key`);
    await db.query(
      `CREATE UNIQUE INDEX deliveries_event_listener_dependency ON deliveries (event_id, listener, (coalesce(dependency, '')))`,
    );
    // An endpoint's messages (attempts view, replay, cancelling when it is disabled).
    await db.query(`CREATE INDEX deliveries_webhook ON deliveries (dependency, event_id) WHERE listener = 'deliver-webhook'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX deliveries_webhook`);
    await db.query(`DROP INDEX deliveries_event_listener_dependency`);
    await db.query(`DELETE FROM deliveries WHERE listener = 'deliver-webhook'`);
    await db.query(`ALTER TABLE deliveries ADD CONSTRAINT deliveries_event_id_listener_key UNIQUE (event_id, listener)`);
    await db.query(`DROP TABLE webhook_attempts`);
    await db.query(`DROP TABLE webhook_endpoints`);
  }
}
