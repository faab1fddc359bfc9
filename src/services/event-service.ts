import type { DataSource } from 'typeorm';
import { eventNamesArgument, isSecurityEventSql, roleSeesSecurityEvents } from '../events/catalog';
import type { EventEnvelope } from '../events/envelope';
import { ENVELOPE_COLUMNS, envelopeOf, type EventRow } from '../events/event-store';
import { streamCondition } from '../events/streams';
import type { SeqHorizon } from '../events/seq-horizon';
import { platformAdmin } from './access';
import { connection, numericCursor, pageSize, type Connection } from './pagination';
import type { RequestContext } from './request-context';

/** The role a viewer reads a tenant's events with; throws NOT_FOUND for non-members (TenantAccess.memberRole). */
export type TenantRoleOf = (ctx: RequestContext, tenantId: string) => Promise<'OWNER' | 'ADMIN' | 'MEMBER'>;

export interface ListenerStats {
  name: string;
  done: number;
  pending: number;
  retrying: number;
  dead: number;
  oldestPendingAgeSeconds: number | null;
}

/** Minutes of `activity`: the last hour. */
const ACTIVITY_MINUTES = 60;

export interface EventActivity {
  minutes: { minute: Date; count: number }[];
  upTo: string;
  hourStart: string;
}

/** Reading the event store through the API: pages of events and the pipeline's statistics. */
export class EventService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenantRoleOf: TenantRoleOf,
    private readonly horizon: SeqHorizon,
  ) {}

  /**
   * Events in seq order after a cursor. A tenant's members read its events, and OWNER and ADMIN
   * also the security (`auth.*`) events about its members, as `tenantEvents` streams them (the
   * same condition); all events are for platform admins. Pages end at the safe horizon
   * (src/events/seq-horizon.ts), so paging by seq skips nothing that commits later; the horizon is
   * read after the call, so a mutation that answered before it is in it.
   */
  async list(
    ctx: RequestContext,
    args: { tenantId?: string | null; names?: readonly string[] | null; after?: string | null; first?: number | null },
  ): Promise<Connection<EventEnvelope>> {
    const size = pageSize(args.first);
    const after = numericCursor('after', args.after) ?? '0';
    const names = eventNamesArgument(args.names);

    let includeSecurity = true;
    if (args.tenantId) {
      includeSecurity = roleSeesSecurityEvents(await this.tenantRoleOf(ctx, args.tenantId));
    } else {
      platformAdmin(ctx);
    }

    // A tenant's events as `tenantEvents` follows them: its own, and security events about its members.
    const tenantStream = streamCondition(`tenant:${args.tenantId ?? ''}`, 2).sql;
    const horizon = await this.horizon.next();
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT ${ENVELOPE_COLUMNS} FROM events e
       WHERE e.seq > $1 AND e.seq <= $6
         AND ($2::uuid IS NULL OR ${tenantStream})
         AND ($3::varchar[] IS NULL OR e.name = ANY($3))
         AND ($4 OR NOT ${isSecurityEventSql('e.name')})
       ORDER BY e.seq
       LIMIT $5`,
      [after, args.tenantId ?? null, names, includeSecurity, size + 1, horizon],
    );
    return connection(rows.map(envelopeOf), size, (e) => e.seq);
  }

  /**
   * A tenant's events per minute over the last hour, with the events `list` would show the viewer
   * (security events only for OWNER and ADMIN): sixty minutes, oldest first.
   */
  async activity(ctx: RequestContext, tenantId: string): Promise<EventActivity> {
    const includeSecurity = roleSeesSecurityEvents(await this.tenantRoleOf(ctx, tenantId));
    const tenantStream = streamCondition(`tenant:${tenantId}`, 1).sql;
    const visible = `${tenantStream} AND ($2 OR NOT ${isSecurityEventSql('e.name')})`;
    const [{ start }]: { start: Date }[] = await this.dataSource.query(
      `SELECT date_trunc('minute', now()) - interval '${ACTIVITY_MINUTES - 1} minutes' AS start`,
    );
    const rows: { minute: Date; count: number; last: string }[] = await this.dataSource.query(
      `SELECT date_trunc('minute', e.occurred_at) AS minute, count(*)::int AS count, max(e.seq)::text AS last
       FROM events e WHERE ${visible} AND e.occurred_at >= $3 GROUP BY 1`,
      [tenantId, includeSecurity, start],
    );
    // The newest event before the hour: walked back from the newest of the tenant (index on tenant, seq).
    const [before]: { seq: string }[] = await this.dataSource.query(
      `SELECT e.seq::text AS seq FROM events e WHERE ${visible} AND e.occurred_at < $3 ORDER BY e.seq DESC LIMIT 1`,
      [tenantId, includeSecurity, start],
    );
    const counts = new Map(rows.map((row) => [row.minute.getTime(), row.count]));
    const minutes = Array.from({ length: ACTIVITY_MINUTES }, (_, index) => {
      const minute = new Date(start.getTime() + index * 60_000);
      return { minute, count: counts.get(minute.getTime()) ?? 0 };
    });
    const upTo = rows.reduce((max, row) => (BigInt(row.last) > BigInt(max) ? row.last : max), before?.seq ?? '0');
    return { minutes, upTo, hourStart: before?.seq ?? '0' };
  }

  async stats(ctx: RequestContext): Promise<{ events: { name: string; count: number }[]; listeners: ListenerStats[] }> {
    platformAdmin(ctx);
    const events: { name: string; count: number }[] = await this.dataSource.query(
      `SELECT name, count(*)::int AS count FROM events GROUP BY name ORDER BY name`,
    );
    const listeners: ListenerStats[] = await this.dataSource.query(
      `SELECT listener AS name,
              count(*) FILTER (WHERE status = 'done')::int AS done,
              count(*) FILTER (WHERE status = 'running' OR (status = 'pending' AND attempts = 0))::int AS pending,
              count(*) FILTER (WHERE status = 'pending' AND attempts > 0)::int AS retrying,
              count(*) FILTER (WHERE status = 'dead')::int AS dead,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status IN ('pending', 'running')))::float
                AS "oldestPendingAgeSeconds"
       FROM deliveries GROUP BY listener ORDER BY listener`,
    );
    return { events, listeners };
  }
}
