import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { EventEnvelope, NewEvent } from './envelope';
import { isSecurityEvent, type EventName } from './catalog';

/**
 * Appends are serialised on this advisory lock, held until commit, so `seq` order is commit order:
 * a reader that has seen seq N will never later find a committed event below N. That is what makes
 * `seq` a safe resume cursor. The lock is taken as the last step of a transaction, so it is held
 * only for the commit itself.
 */
const APPEND_LOCK_KEY = 0x6865726c; // "herl"

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
 */
export class EventStore {
  constructor(
    /** The names of the listeners that handle an event name. */
    private readonly listenersFor: (name: EventName) => readonly string[],
    /** The tenants each of these users belongs to now (inside the appending transaction). */
    private readonly tenantsOf: TenantsOfUsers = async () => new Map(),
  ) {}

  async append(manager: EntityManager, events: readonly NewEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    const ids = events.map(() => uuidv7()); // time-sortable
    const subjects = events.map(subjectOf);
    const tenants = await this.tenantsOf(manager, [...new Set(subjects.filter((s): s is string => s !== null))]);
    const deliveryEventIds: string[] = [];
    const deliveryListeners: string[] = [];
    events.forEach((event, i) => {
      for (const listener of this.listenersFor(event.name)) {
        deliveryEventIds.push(ids[i]);
        deliveryListeners.push(listener);
      }
    });
    // One statement takes the lock, inserts the events and their delivery rows, so the lock is
    // held for one round trip and the commit rather than three round trips and the commit: every
    // other append in the database waits that long. The lock comes first: each event row is
    // built (and its seq drawn) from a join with the lock's materialised row. Rows are inserted in
    // the order of `events`, so their seq is too.
    const rows: EventRow[] = await manager.query(
      `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($1)),
       inserted AS (
         INSERT INTO events (id, name, tenant_id, actor_id, payload, context, subject_user_id, audience_tenant_ids,
                             occurred_at)
         SELECT e.id, e.name, e.tenant_id, e.actor_id, e.payload, e.context, e.subject_user_id,
                coalesce(string_to_array(e.audience, ',')::uuid[], '{}'), clock_timestamp()
         FROM locked,
              unnest($2::uuid[], $3::varchar[], $4::uuid[], $5::uuid[], $6::jsonb[], $7::jsonb[], $10::uuid[], $11::text[])
                WITH ORDINALITY AS e(id, name, tenant_id, actor_id, payload, context, subject_user_id, audience, position)
         ORDER BY e.position
         RETURNING id, seq::text AS seq, name, tenant_id, actor_id, payload, context, occurred_at, subject_user_id,
                   audience_tenant_ids
       ),
       delivered AS (
         INSERT INTO deliveries (event_id, listener, status)
         SELECT d.event_id, d.listener, 'pending'
         FROM unnest($8::uuid[], $9::varchar[]) AS d(event_id, listener) JOIN inserted ON inserted.id = d.event_id
       )
       SELECT * FROM inserted`,
      [
        APPEND_LOCK_KEY,
        ids,
        events.map((e) => e.name),
        events.map((e) => e.tenantId),
        events.map((e) => e.actorId),
        events.map((e) => JSON.stringify(e.payload)),
        events.map((e) => JSON.stringify(e.context)),
        deliveryEventIds,
        deliveryListeners,
        subjects,
        // unnest cannot take ragged arrays, so each audience travels as a comma-separated string.
        subjects.map((s) => (s ? (tenants.get(s) ?? []).join(',') || null : null)),
      ],
    );
    // RETURNING itself promises no order.
    return rows.map(envelopeOf).sort((a, b) => compareSeq(a.seq, b.seq));
  }
}

/** Looks up the tenants of the users that security events are about. */
export type TenantsOfUsers = (manager: EntityManager, userIds: string[]) => Promise<Map<string, string[]>>;

/** The user a security event is about (its payload's userId), or null. */
function subjectOf(event: NewEvent): string | null {
  if (!isSecurityEvent(event.name)) return null;
  const userId = (event.payload as { userId?: unknown }).userId;
  return typeof userId === 'string' ? userId : null;
}

export function compareSeq(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
