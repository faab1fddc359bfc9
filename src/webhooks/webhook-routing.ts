import { isSecurityEventSql } from '../events/catalog';

/** The listener whose delivery rows are webhook messages, one per (event, endpoint). */
export const WEBHOOK_LISTENER = 'deliver-webhook';

/** What every endpoint's dependency (breaker key) starts with. */
export const DEPENDENCY_PREFIX = 'webhook:';

/** The delivery rows' dependency (and circuit breaker key) of an endpoint. */
export function endpointDependency(endpointId: string): string {
  return `${DEPENDENCY_PREFIX}${endpointId}`;
}

/** The endpoint a webhook delivery row is for, from its dependency; null for any other row. */
export function endpointIdOf(dependency: string | null): string | null {
  return dependency?.startsWith(DEPENDENCY_PREFIX) ? dependency.slice(DEPENDENCY_PREFIX.length) : null;
}

/**
 * For the event store (`targetedDeliveries`): one webhook message per event and live endpoint
 * that wants it. A tenant's endpoints get what its OWNER/ADMIN may read: the tenant's events, and
 * the security (`auth.*`) events about its members, but those only when listed by name. An empty
 * list means every other event. An endpoint never gets `webhook.*` events about itself, but for
 * `webhook.test`, which goes to it alone. The row is in the endpoint's tenant's queue.
 */
export function webhookDeliveriesSql(inserted: string): string {
  const security = isSecurityEventSql('i.name');
  return `
    SELECT i.id AS event_id, '${WEBHOOK_LISTENER}'::varchar AS listener, w.tenant_id,
           '${DEPENDENCY_PREFIX}' || w.id::text AS dependency
    FROM ${inserted} i
    JOIN webhook_endpoints w
      ON w.enabled AND w.deleted_at IS NULL
     AND (w.tenant_id = i.tenant_id OR (${security} AND w.tenant_id = ANY(i.audience_tenant_ids)))
    WHERE CASE
      WHEN i.name = 'webhook.test' THEN i.payload->>'endpointId' = w.id::text
      WHEN i.name LIKE 'webhook.%' AND i.payload->>'endpointId' = w.id::text THEN false
      WHEN ${security} THEN i.name = ANY(w.event_types)
      ELSE cardinality(w.event_types) = 0 OR i.name = ANY(w.event_types)
    END`;
}
