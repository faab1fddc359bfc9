import type { EventName, EventPayload } from './catalog';

/** Where an event came from: the request (or the event, for listeners) that caused it. */
export interface EventContext {
  /** The request's id (its `x-request-id` response header); null for system events. */
  requestId: string | null;
  /** The client's IP (from X-Forwarded-For only through proxies trusted by TRUST_PROXY). */
  ip: string | null;
  userAgent: string | null;
  /**
   * W3C traceparent of the request's trace (see src/observability/traceparent.ts); listeners'
   * runs, logs and emails carry it. Absent on events recorded before tracing existed.
   */
  traceparent?: string | null;
}

/** A committed event, as stored, published and handed to listeners. */
export interface EventEnvelope<N extends EventName = EventName> {
  /** UUIDv7: unique and time-sortable. */
  id: string;
  /** Position in the store (a bigint as a decimal string), the resume cursor: readers read up to the safe horizon, so none appears later below one already seen. */
  seq: string;
  /** From the catalog (src/events/catalog.ts). */
  name: N;
  /** The tenant it belongs to, or null for platform-level events. */
  tenantId: string | null;
  /** The user who caused it, or null for the system. */
  actorId: string | null;
  /** Typed per name: see EventCatalog (src/events/catalog.ts; docs/EVENTS.md lists each). */
  payload: EventPayload<N>;
  /** Where it came from: the request that caused it (listeners' events keep their source event's). */
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
  /** Given when it was recorded (Tx.record); the store draws one otherwise. */
  id?: string;
  name: N;
  payload: EventPayload<N>;
  tenantId: string | null;
  actorId: string | null;
  context: EventContext;
}
