import type { EventName, EventPayload } from './catalog';

/** Where an event came from: the request (or the event, for listeners) that caused it. */
export interface EventContext {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** A committed event, as stored, published and handed to listeners. */
export interface EventEnvelope<N extends EventName = EventName> {
  /** UUIDv7: unique and time-sortable. */
  id: string;
  /** Position in the store (a bigint as a decimal string); commit order, so it is the resume cursor. */
  seq: string;
  name: N;
  /** The tenant it belongs to, or null for platform-level events. */
  tenantId: string | null;
  /** The user who caused it, or null for the system. */
  actorId: string | null;
  payload: EventPayload<N>;
  context: EventContext;
  /** ISO 8601 commit time. */
  occurredAt: string;
  /** For security (`auth.*`) events: the user the event is about; null otherwise. */
  subjectUserId: string | null;
  /** For security events: the tenants the subject belonged to when it happened (their dashboards see it). */
  audienceTenantIds: string[];
}

/** Any envelope, narrowed by `name`. */
export type AnyEventEnvelope = { [N in EventName]: EventEnvelope<N> }[EventName];

/** An event about to be appended in the current transaction. */
export interface NewEvent<N extends EventName = EventName> {
  name: N;
  payload: EventPayload<N>;
  tenantId: string | null;
  actorId: string | null;
  context: EventContext;
}
