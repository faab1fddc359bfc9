import type { DataSource } from 'typeorm';
import { BadUserInputError, NotFoundError } from '../errors/domain-errors';
import type { DeliveryStatus } from '../entities/delivery';
import type { EventEnvelope } from '../events/envelope';
import { ENVELOPE_COLUMNS, envelopeOf, type EventRow } from '../events/event-store';
import { platformAdmin } from './access';
import { connection, isRowId, numericCursor, pageSize, type Connection } from './pagination';
import type { RequestContext } from './request-context';

export interface DeliveryView {
  id: string;
  listener: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  dueAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  event: EventEnvelope;
}

const SELECT_DELIVERY = `
  SELECT d.id::text AS delivery_id, d.listener, d.status, d.attempts, d.last_error, d.due_at, d.updated_at,
         d.completed_at, ${ENVELOPE_COLUMNS}
  FROM deliveries d JOIN events e ON e.id = d.event_id`;

type DeliveryRow = EventRow & {
  delivery_id: string;
  listener: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  due_at: Date;
  updated_at: Date;
  completed_at: Date | null;
};

function viewOf(row: DeliveryRow): DeliveryView {
  return {
    id: row.delivery_id,
    listener: row.listener,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    dueAt: row.due_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    event: envelopeOf(row),
  };
}

/** Seeing and retrying deliveries, for platform admins. */
export class DeliveryService {
  constructor(
    private readonly dataSource: DataSource,
    /** Tells the listener runtime there is work now rather than at its next poll. */
    private readonly wake: () => void,
  ) {}

  async list(
    ctx: RequestContext,
    args: { status?: DeliveryStatus | null; listener?: string | null; first?: number | null; after?: string | null },
  ): Promise<Connection<DeliveryView>> {
    platformAdmin(ctx);
    const size = pageSize(args.first);
    const before = numericCursor('after', args.after);
    if (args.listener != null) listenerName(args.listener);
    const rows: DeliveryRow[] = await this.dataSource.query(
      `${SELECT_DELIVERY}
       WHERE ($1::varchar IS NULL OR d.status = $1) AND ($2::varchar IS NULL OR d.listener = $2)
         AND ($3::bigint IS NULL OR d.id < $3)
       ORDER BY d.id DESC LIMIT $4`,
      [args.status ?? null, args.listener ?? null, before, size + 1],
    );
    return connection(rows.map(viewOf), size, (d) => d.id);
  }

  /** Puts a dead or waiting delivery back in line with a fresh set of attempts. */
  async retry(ctx: RequestContext, id: string): Promise<DeliveryView> {
    platformAdmin(ctx);
    if (!isRowId(id)) throw new BadUserInputError('id', 'Pass the id of a delivery.');
    const [retried]: DeliveryRow[] = await this.dataSource.query(
      `WITH d AS (
         UPDATE deliveries SET status = 'pending', attempts = 0, due_at = now(), held_until = NULL, locked_by = NULL, updated_at = now()
         WHERE id = $1 AND status IN ('dead', 'pending') RETURNING *
       )
       ${SELECT_DELIVERY.replace('FROM deliveries d', 'FROM d')}`,
      [id],
    );
    if (!retried) {
      const [row]: DeliveryRow[] = await this.dataSource.query(`${SELECT_DELIVERY} WHERE d.id = $1`, [id]);
      if (!row) throw new NotFoundError(`No delivery ${id}.`);
      throw new BadUserInputError('id', `Delivery ${id} is ${row.status}; only dead or waiting deliveries can be retried.`);
    }
    this.wake();
    return viewOf(retried);
  }

  /** Retries every dead delivery of a listener; returns how many. */
  async retryDead(ctx: RequestContext, listener: string): Promise<number> {
    platformAdmin(ctx);
    listenerName(listener);
    const updated = await this.dataSource.query(
      `WITH retried AS (
         UPDATE deliveries SET status = 'pending', attempts = 0, due_at = now(), held_until = NULL, locked_by = NULL, updated_at = now()
         WHERE listener = $1 AND status = 'dead' RETURNING id
       ) SELECT id FROM retried`,
      [listener],
    );
    if (updated.length > 0) this.wake();
    return updated.length;
  }
}

/**
 * A listener name as an argument: printable and short. Any other string names no listener, and
 * one with U+0000 would fail the query (PostgreSQL text cannot hold it) as a 500.
 */
function listenerName(value: string): string {
  if (value.length === 0 || value.length > 100 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new BadUserInputError('listener', 'Pass the name of a listener, such as send-email.');
  }
  return value;
}
