import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { EventEnvelope, NewEvent } from './envelope';
import type { EventName } from './catalog';

/**
 * Appends are serialised on this advisory lock, held until commit, so `seq` order is commit order:
 * a reader that has seen seq N will never later find a committed event below N. That is what makes
 * `seq` a safe resume cursor. The lock is taken as the last step of a transaction, so it is held
 * only for the commit itself.
 */
const APPEND_LOCK_KEY = 0x6865726c; // "herl"

/** Columns selected to build an envelope; `e` is the events table. */
export const ENVELOPE_COLUMNS = `e.id, e.seq::text AS seq, e.name, e.tenant_id, e.actor_id, e.payload, e.context, e.occurred_at`;

export interface EventRow {
  id: string;
  seq: string;
  name: string;
  tenant_id: string | null;
  actor_id: string | null;
  payload: unknown;
  context: EventEnvelope['context'];
  occurred_at: Date;
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
  ) {}

  async append(manager: EntityManager, events: readonly NewEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    await manager.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY]);
    const ids = events.map(() => uuidv7()); // time-sortable
    const rows: EventRow[] = await manager.query(
      `INSERT INTO events (id, name, tenant_id, actor_id, payload, context, occurred_at)
       SELECT id, name, tenant_id, actor_id, payload, context, clock_timestamp()
       FROM unnest($1::uuid[], $2::varchar[], $3::uuid[], $4::uuid[], $5::jsonb[], $6::jsonb[])
         AS e(id, name, tenant_id, actor_id, payload, context)
       RETURNING id, seq::text AS seq, name, tenant_id, actor_id, payload, context, occurred_at`,
      [
        ids,
        events.map((e) => e.name),
        events.map((e) => e.tenantId),
        events.map((e) => e.actorId),
        events.map((e) => JSON.stringify(e.payload)),
        events.map((e) => JSON.stringify(e.context)),
      ],
    );

    const deliveryEventIds: string[] = [];
    const deliveryListeners: string[] = [];
    events.forEach((event, i) => {
      for (const listener of this.listenersFor(event.name)) {
        deliveryEventIds.push(ids[i]);
        deliveryListeners.push(listener);
      }
    });
    if (deliveryEventIds.length > 0) {
      await manager.query(
        `INSERT INTO deliveries (event_id, listener, status)
         SELECT event_id, listener, 'pending' FROM unnest($1::uuid[], $2::varchar[]) AS d(event_id, listener)`,
        [deliveryEventIds, deliveryListeners],
      );
    }
    // seq is assigned in the order of `events`; RETURNING itself promises no order.
    return rows.map(envelopeOf).sort((a, b) => compareSeq(a.seq, b.seq));
  }
}

export function compareSeq(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
