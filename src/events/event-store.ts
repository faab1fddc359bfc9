import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { pgClientOf } from '../db/pg-client';
import type { EventEnvelope, NewEvent } from './envelope';
import { isSecurityEvent, type EventName } from './catalog';
import { HOLD_AFTER_MS } from './delivery-schedule';
import { APPENDING_LOCK_KEY } from './seq-horizon';

/** Columns selected to build an envelope; `e` is the events table. */
export const ENVELOPE_COLUMNS =
  'e.id, e.seq::text AS seq, e.name, e.tenant_id, e.actor_id, e.payload, e.context, e.occurred_at, ' +
  'e.subject_user_id, e.audience_tenant_ids';

export interface EventRow {
  id: string;
  seq: string;
  name: string;
  tenant_id: string | null;
  actor_id: string | null;
  payload: unknown;
  context: EventEnvelope['context'];
  occurred_at: Date;
  subject_user_id: string | null;
  audience_tenant_ids: string[];
}

export function envelopeOf(row: EventRow): EventEnvelope {
  return {
    id: row.id,
    seq: row.seq,
    name: row.name as EventName,
    tenantId: row.tenant_id,
    actorId: row.actor_id,
    payload: row.payload as EventEnvelope['payload'],
    context: row.context,
    occurredAt: new Date(row.occurred_at).toISOString(),
    subjectUserId: row.subject_user_id,
    audienceTenantIds: row.audience_tenant_ids ?? [],
  };
}

/**
 * The event store, which is also the outbox. `append` runs inside the caller's transaction: the
 * events and one delivery row per interested listener commit or roll back with the domain rows.
 *
 * `seq` is drawn at insert, so it is not commit order; readers read only up to the safe horizon
 * (src/events/seq-horizon.ts), which needs every append to hold the appending lock (shared)
 * before it draws a seq.
 */
export class EventStore {
  constructor(
    /** The names of the listeners that handle an event name. */
    private readonly listenersFor: (name: EventName) => readonly string[],
    /**
     * SQL for the tenants a user belongs to now, as a uuid[] expression of the user id expression
     * it is given; evaluated inside the append statement, so in the appending transaction.
     */
    private readonly tenantsOfUser: TenantsOfUserSql = () => `'{}'::uuid[]`,
    private readonly options: EventStoreOptions = {},
  ) {}

  private statementName: string | null = null;

  async append(manager: EntityManager, events: readonly NewEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    const ids = events.map((event) => event.id ?? uuidv7()); // time-sortable
    const subjects = events.map(subjectOf);
    const deliveryEventIds: string[] = [];
    const deliveryListeners: string[] = [];
    const deliveryDelays: number[] = [];
    const deliveryDependencies: (string | null)[] = [];
    const delayOf = this.options.delayOf ?? (() => 0);
    const dependencyOf = this.options.dependencyOf ?? (() => null);
    events.forEach((event, i) => {
      for (const listener of this.listenersFor(event.name)) {
        deliveryEventIds.push(ids[i]);
        deliveryListeners.push(listener);
        deliveryDelays.push(delayOf(listener));
        deliveryDependencies.push(dependencyOf(listener));
      }
    });
    // One statement takes the appending lock, looks up the audiences, inserts the events and their
    // delivery rows: one round trip. The lock comes first: each event row is built (and its seq
    // drawn) from a join with the lock's materialised row, so no seq is drawn before the lock is
    // held. The lock is shared: appends do not wait for each other. Rows are inserted in the order
    // of `events`, so their seq is too. A delivery row carries its event's tenant and its listener's
    // dependency (what claims schedule by); one due much later is held out of the claimable set.
    const rows: EventRow[] = await this.run(
      manager,
      `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared($1)),
       inserted AS (
         INSERT INTO events (id, name, tenant_id, actor_id, payload, context, subject_user_id, audience_tenant_ids,
                             occurred_at)
         SELECT e.id, e.name, e.tenant_id, e.actor_id, e.payload, e.context, e.subject_user_id,
                CASE WHEN e.subject_user_id IS NULL THEN '{}'::uuid[]
                     ELSE coalesce(${this.tenantsOfUser('e.subject_user_id')}, '{}'::uuid[]) END,
                clock_timestamp()
         FROM locked,
              unnest($2::uuid[], $3::varchar[], $4::uuid[], $5::uuid[], $6::jsonb[], $7::jsonb[], $10::uuid[])
                WITH ORDINALITY AS e(id, name, tenant_id, actor_id, payload, context, subject_user_id, position)
         ORDER BY e.position
         RETURNING id, seq::text AS seq, name, tenant_id, actor_id, payload, context, occurred_at, subject_user_id,
                   audience_tenant_ids
       ),
       delivered AS (
         INSERT INTO deliveries (event_id, listener, status, due_at, tenant_id, dependency, held_until)
         SELECT d.event_id, d.listener, 'pending', now() + d.delay_ms * interval '1 millisecond', inserted.tenant_id,
                d.dependency, CASE WHEN d.delay_ms >= ${HOLD_AFTER_MS} THEN now() + d.delay_ms * interval '1 millisecond' END
         FROM unnest($8::uuid[], $9::varchar[], $11::bigint[], $12::varchar[]) AS d(event_id, listener, delay_ms, dependency)
           JOIN inserted ON inserted.id = d.event_id
       )${this.options.targetedDeliveries ? `,
       targeted AS (
         INSERT INTO deliveries (event_id, listener, status, due_at, tenant_id, dependency)
         SELECT t.event_id, t.listener, 'pending', now(), t.tenant_id, t.dependency
         FROM (${this.options.targetedDeliveries('inserted')}) AS t
       )` : ''}
       SELECT * FROM inserted`,
      [
        APPENDING_LOCK_KEY,
        ids,
        events.map((e) => e.name),
        events.map((e) => e.tenantId),
        events.map((e) => e.actorId),
        events.map((e) => JSON.stringify(e.payload)),
        events.map((e) => JSON.stringify(e.context)),
        deliveryEventIds,
        deliveryListeners,
        subjects,
        deliveryDelays,
        deliveryDependencies,
      ],
    );
    // RETURNING itself promises no order.
    return rows.map(envelopeOf).sort((a, b) => compareSeq(a.seq, b.seq));
  }

  /**
   * Runs the append statement, as a named prepared statement on the transaction's pg client when
   * allowed: planning the statement cost about as much as executing it (EXPLAIN: 0.5 ms), and a
   * prepared one is planned once per connection. The name comes from the text, so stores with
   * different audience SQL on one pool do not clash.
   */
  private async run(manager: EntityManager, text: string, values: unknown[]): Promise<EventRow[]> {
    if (!this.options.preparedStatements || !manager.queryRunner) return manager.query(text, values);
    const client = await pgClientOf(manager.queryRunner);
    this.statementName ??= `herald_append_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    const result = await client.query<EventRow>({ name: this.statementName, text, values });
    return result.rows;
  }
}

export interface EventStoreOptions {
  /**
   * Run the append as a named prepared statement on each connection. Needs connections that keep
   * their session (not PgBouncer's transaction pooling before 1.21); off for embedded PGlite,
   * whose one session is shared by every socket connection, so a new pg client would prepare a
   * name that already exists.
   */
  preparedStatements?: boolean;
  /** How long after the event a listener's delivery is due, ms (`listenerDelays`); 0 when absent. */
  delayOf?: (listener: string) => number;
  /** The outbound dependency (circuit breaker key) a listener's runs need (`listenerDependencies`); none when absent. */
  dependencyOf?: (listener: string) => string | null;
  /**
   * Delivery rows that depend on the data, not only on the event's name (a webhook per endpoint
   * that wants the event): SQL selecting `event_id, listener, tenant_id, dependency` from the
   * inserted events (the relation named by its argument, with the events table's columns). Run in
   * the append statement, so the rows commit with their events. Rows of one event and listener
   * differ by `dependency`, which names their target.
   */
  targetedDeliveries?: (inserted: string) => string;
}

/** Builds the SQL expression (uuid[]) for the tenants of the user whose id is `userId` (an SQL expression). */
export type TenantsOfUserSql = (userId: string) => string;

/** The user a security event is about (its payload's userId), or null. */
function subjectOf(event: NewEvent): string | null {
  if (!isSecurityEvent(event.name)) return null;
  const userId = (event.payload as { userId?: unknown }).userId;
  return typeof userId === 'string' ? userId : null;
}

export function compareSeq(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
