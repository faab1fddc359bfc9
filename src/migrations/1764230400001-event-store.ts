import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The event store (outbox), delivery rows, the email log, audit entries and daily counters. */
export class EventStore1764230400001 implements MigrationInterface {
  name = 'EventStore1764230400001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE events (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        name varchar(100) NOT NULL,
        tenant_id uuid,
        actor_id uuid,
        payload jsonb NOT NULL,
        context jsonb NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await db.query(`CREATE INDEX events_tenant_seq ON events (tenant_id, seq)`);
    await db.query(`CREATE INDEX events_name_seq ON events (name, seq)`);
    await db.query(`CREATE INDEX events_unpublished ON events (seq) WHERE published_at IS NULL`);

    await db.query(`
      CREATE TABLE deliveries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL REFERENCES events(id),
        listener varchar(100) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('pending', 'running', 'done', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        due_at timestamptz NOT NULL DEFAULT now(),
        locked_by varchar(64),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        UNIQUE (event_id, listener)
      )`);
    // The claim query reads only unfinished rows, oldest due first.
    await db.query(
      `CREATE INDEX deliveries_due ON deliveries (due_at) WHERE status IN ('pending', 'running')`,
    );
    await db.query(`CREATE INDEX deliveries_listener_status ON deliveries (listener, status)`);

    await db.query(`
      CREATE TABLE email_messages (
        id uuid PRIMARY KEY,
        source_event_id uuid NOT NULL,
        template varchar(64) NOT NULL,
        recipient varchar(254) NOT NULL,
        subject varchar(300) NOT NULL,
        text_body text NOT NULL,
        html_body text NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        provider_message_id varchar(300),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        UNIQUE (source_event_id, template, recipient)
      )`);

    await db.query(`
      CREATE TABLE audit_entries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        tenant_id uuid,
        actor_id uuid,
        action varchar(100) NOT NULL,
        subject_id uuid,
        ip varchar(64),
        user_agent varchar(512),
        request_id varchar(64),
        occurred_at timestamptz NOT NULL
      )`);
    await db.query(`CREATE INDEX audit_entries_tenant ON audit_entries (tenant_id, id)`);

    await db.query(`
      CREATE TABLE daily_counters (
        day date NOT NULL,
        metric varchar(64) NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (day, metric)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['daily_counters', 'audit_entries', 'email_messages', 'deliveries', 'events']) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}
