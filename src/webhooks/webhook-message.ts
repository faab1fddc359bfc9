import type { EventEnvelope } from '../events/envelope';

/**
 * The body of a webhook message (Standard Webhooks): `type`, `timestamp` (when the event
 * happened) and `data`, the event envelope without its request context (no IP, user agent or
 * request id) and without the list of tenants a security event concerns (other tenants' ids).
 */
export function webhookBody(event: EventEnvelope): string {
  return JSON.stringify({
    type: event.name,
    timestamp: event.occurredAt,
    data: {
      id: event.id,
      seq: event.seq,
      name: event.name,
      tenantId: event.tenantId,
      actorId: event.actorId,
      occurredAt: event.occurredAt,
      payload: event.payload,
    },
  });
}
