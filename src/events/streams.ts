import type { DataSource } from 'typeorm';
import { isSecurityEvent, isSecurityEventSql } from './catalog';
import type { EventEnvelope } from './envelope';
import { ENVELOPE_COLUMNS, envelopeOf, type EventRow } from './event-store';

/**
 * A stream of the event store: what one kind of live subscription follows, with a pub/sub channel
 * of its own so an instance receives only the streams its subscribers follow (no channel that
 * everyone filters). The store says which streams an event is on, and reads a stream by seq.
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

/**
 * A page of the stream's stored events with after < seq ≤ upTo, in seq order. `upTo` must be a
 * safe horizon (src/events/seq-horizon.ts), or the page may miss an event that commits later.
 */
export async function readStream(dataSource: DataSource, key: StreamKey, after: string, upTo: string, limit: number): Promise<EventEnvelope[]> {
  const condition = streamCondition(key, 2);
  const rows: EventRow[] = await dataSource.query(
    `SELECT ${ENVELOPE_COLUMNS} FROM events e
     WHERE e.seq > $1 AND ${condition.sql} AND e.seq <= $3
     ORDER BY e.seq LIMIT $4`,
    [after, condition.value, upTo, limit],
  );
  return rows.map(envelopeOf);
}
