import type { DataSource } from 'typeorm';

/** The event pipeline's state as the database holds it: the same for every instance. */
export interface PipelineFigures {
  listeners: {
    listener: string;
    /** Waiting for a first run. */
    pending: number;
    /** Failed at least once, due again later. */
    retrying: number;
    /** Claimed by an instance now. */
    running: number;
    dead: number;
    /** Age of the oldest delivery that is due and unclaimed (or whose lease ended): the listener's lag. */
    lagSeconds: number;
  }[];
  /** Every circuit breaker that has ever opened or counted a failure, and its state. */
  breakers: { dependency: string; state: 'closed' | 'open' | 'half_open' }[];
  /** Committed events not yet published to the pub/sub (the outbox backlog). */
  unpublishedEvents: number;
  oldestUnpublishedSeconds: number;
  /** Webhook endpoints disabled (by a person, a 410, or 5 days of failures), not deleted. */
  webhookEndpointsDisabled: number;
}

/**
 * Reads the figures in one short read-only transaction. `timeoutMs` bounds the work on the server
 * too (statement_timeout), so a slow database cannot pile up scrapes.
 */
export async function readPipelineFigures(dataSource: DataSource, timeoutMs: number): Promise<PipelineFigures> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)]);
    // Only unfinished and dead rows: the partial index deliveries_due serves pending/running.
    const listeners: Record<string, string | number | null>[] = await manager.query(
      `SELECT listener,
              count(*) FILTER (WHERE status = 'pending' AND attempts = 0)::int AS pending,
              count(*) FILTER (WHERE status = 'pending' AND attempts > 0)::int AS retrying,
              count(*) FILTER (WHERE status = 'running')::int AS running,
              count(*) FILTER (WHERE status = 'dead')::int AS dead,
              coalesce(extract(epoch FROM now() - min(due_at) FILTER (
                WHERE status IN ('pending', 'running') AND due_at <= now())), 0)::float AS lag_seconds
       FROM deliveries WHERE status IN ('pending', 'running', 'dead')
       GROUP BY listener`,
    );
    const [outbox]: { unpublished: number; oldest_seconds: number }[] = await manager.query(
      `SELECT count(*)::int AS unpublished,
              coalesce(extract(epoch FROM now() - min(occurred_at)), 0)::float AS oldest_seconds
       FROM events WHERE published_at IS NULL`,
    );
    const breakers: { key: string; state: 'closed' | 'open' | 'half_open' }[] = await manager.query(
      `SELECT key, state FROM circuit_breakers ORDER BY key`,
    );
    const [webhooks]: { disabled: number }[] = await manager.query(
      `SELECT count(*)::int AS disabled FROM webhook_endpoints WHERE NOT enabled AND deleted_at IS NULL`,
    );
    return {
      webhookEndpointsDisabled: webhooks.disabled,
      breakers: breakers.map((b) => ({ dependency: b.key, state: b.state })),
      listeners: listeners.map((row) => ({
        listener: String(row.listener),
        pending: Number(row.pending),
        retrying: Number(row.retrying),
        running: Number(row.running),
        dead: Number(row.dead),
        lagSeconds: Number(row.lag_seconds),
      })),
      unpublishedEvents: outbox.unpublished,
      oldestUnpublishedSeconds: outbox.oldest_seconds,
    };
  });
}
