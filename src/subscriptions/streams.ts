import { isSecurityEvent, isSecurityEventSql } from '../events/catalog';
import type { EventEnvelope } from '../events/envelope';

/**
 * A live stream: what one kind of subscription follows, with a pub/sub channel of its own so an
 * instance receives only the streams its subscribers follow (no channel that everyone filters).
 * - `tenant:<id>`: the tenant's events, plus security events about its members;
 * - `user:<id>`: security events about one user (their own account);
 * - `security`: every security event (platform admins).
 */
export type StreamKey = `tenant:${string}` | `user:${string}` | 'security';

/** The streams an event belongs to. */
export function streamsOf(event: EventEnvelope): StreamKey[] {
  const keys = new Set<StreamKey>();
  if (event.tenantId) keys.add(`tenant:${event.tenantId}`);
  if (isSecurityEvent(event.name)) {
    keys.add('security');
    if (event.subjectUserId) keys.add(`user:${event.subjectUserId}`);
    for (const tenantId of event.audienceTenantIds) keys.add(`tenant:${tenantId}`);
  }
  return [...keys];
}

/**
 * The SQL condition (on `events e`) selecting a stream's events, with its parameter. The
 * matching indexes are events_tenant_seq, events_audience, events_subject_seq, events_security_seq.
 */
export function streamCondition(key: StreamKey, param: number): { sql: string; value: string | null } {
  const [kind, id] = key.split(':') as ['tenant' | 'user' | 'security', string | undefined];
  switch (kind) {
    case 'tenant':
      return { sql: `(e.tenant_id = $${param}::uuid OR $${param}::uuid = ANY(e.audience_tenant_ids))`, value: id! };
    case 'user':
      return { sql: `e.subject_user_id = $${param}::uuid`, value: id! };
    case 'security':
      return { sql: `(${isSecurityEventSql('e.name')} AND $${param}::text IS NULL)`, value: null };
  }
}
