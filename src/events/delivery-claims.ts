import type { DataSource } from 'typeorm';
import { HOLD_AFTER_MS, PLATFORM_QUEUE, RELEASE_AHEAD_MS, tenantQueue } from './delivery-schedule';
import { ENVELOPE_COLUMNS, type EventRow } from './event-store';

/** A claimed delivery with its event. */
export interface Claimed extends EventRow {
  delivery_id: string;
  listener: string;
  attempts: number;
  /** Its tenant's queue (PLATFORM_QUEUE for platform-level events). */
  queue: string;
  dependency: string | null;
  /** Where its queue came in this claim's walk round the tenants. */
  ring_position: number;
}

/** What a claim may take from each tenant, besides its free slots. */
export interface ClaimLimits {
  /** The last tenant queue served: the walk starts after it (round robin). */
  cursor: string;
  /** Dependencies whose circuit breaker is open: their rows are left alone. */
  blocked: readonly string[];
  /** Per-tenant rate (per instance): queues with fewer tokens than `burst`, and their tokens. */
  tokens: { queues: string[]; counts: number[]; burst: number } | null;
}

/**
 * Tenant queues looked at per claim, at most. Each costs one index probe; held rows (due later, or
 * waiting for a breaker) are not in the index walked, so the queues seen are those with work due
 * now or soon, or runs under way.
 */
const VISITS = 64;

/**
 * The statements of the delivery rows' life in the runtime: claim, renew, retry later, release.
 * A claim's lease is `leaseMs`; the running instance renews it, so a row whose lease ended
 * belongs to an instance that stopped renewing (it died) and is claimed again.
 */
export class DeliveryClaims {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: {
      instanceId: string;
      listeners: readonly string[];
      leaseMs: number;
      /** Runs of one tenant's deliveries at once, across instances (platform-level work has no cap). */
      tenantConcurrency: number;
      /**
       * Runs at once, across instances, of the rows of any one dependency that starts with
       * `prefix` (one webhook endpoint: `webhook:`); none when absent.
       */
      dependencyConcurrency?: { prefix: string; limit: number };
    },
  ) {}

  /**
   * Claims up to `limit` due rows in one statement, taking turns between tenants: it walks the
   * tenant queues that have claimable rows from the one after `cursor` round to it (one index
   * probe each, at most VISITS), and takes each one's oldest due rows, no more than its cap
   * leaves (its runs under way counted on every instance) nor its rate tokens, until `limit`.
   */
  async claim(limit: number, limits: ClaimLimits): Promise<Claimed[]> {
    const queue = tenantQueue;
    // The first queue (by id) after `after` with claimable rows, and its earliest due time: one
    // probe of the index deliveries_claimable.
    const nextQueue = (after: string | null) => `
      SELECT ${queue('d')} AS q, d.due_at FROM deliveries d
      WHERE d.status IN ('pending', 'running') AND d.held_until IS NULL ${after ? `AND ${queue('d')} > ${after}` : ''}
      ORDER BY 1, 2 LIMIT 1`;
    return this.dataSource.query(
      `WITH RECURSIVE
       after_cursor(q, first_due, n) AS (
         (SELECT q, due_at, 1 FROM (${nextQueue('$1::uuid')}) first)
         UNION ALL
         SELECT nxt.q, nxt.due_at, a.n + 1 FROM after_cursor a CROSS JOIN LATERAL (${nextQueue('a.q')}) nxt
         WHERE a.n < ${VISITS}
       ),
       from_start(q, first_due, n) AS (
         (SELECT q, due_at, ${VISITS + 1} FROM (${nextQueue(null)}) first)
         UNION ALL
         SELECT nxt.q, nxt.due_at, a.n + 1 FROM from_start a CROSS JOIN LATERAL (${nextQueue('a.q')}) nxt
         WHERE a.n < ${2 * VISITS} AND nxt.q <= $1::uuid
       ),
       ring AS (
         SELECT q, first_due, n FROM after_cursor
         UNION ALL
         SELECT q, first_due, n FROM from_start WHERE q <= $1::uuid
       ),
       busy AS MATERIALIZED (
         SELECT dependency, count(*)::int AS running FROM deliveries
         WHERE status = 'running' AND due_at > now() AND dependency LIKE $11
         GROUP BY dependency
       ),
       candidates AS (
         SELECT p.id, p.dependency, p.due_at, r.q, r.n
         FROM (SELECT q, first_due, n FROM ring LIMIT ${VISITS}) r
         CROSS JOIN LATERAL (
           SELECT x.id, x.dependency, x.due_at FROM deliveries x
           WHERE ${queue('x')} = r.q AND x.status IN ('pending', 'running') AND x.held_until IS NULL
             AND x.due_at <= now() AND x.listener = ANY($3::varchar[])
             AND (x.dependency IS NULL OR x.dependency <> ALL($6::varchar[]))
             AND NOT EXISTS (SELECT 1 FROM busy b WHERE b.dependency = x.dependency AND b.running >= $12)
           ORDER BY x.due_at
           LIMIT greatest(0, least(
             $2::int,
             CASE WHEN r.q = '${PLATFORM_QUEUE}'::uuid THEN $2::int
                  ELSE $5::int - (SELECT count(*) FROM deliveries y
                                  WHERE ${queue('y')} = r.q AND y.status = 'running' AND y.due_at > now())::int END,
             CASE WHEN r.q = '${PLATFORM_QUEUE}'::uuid THEN $2::int
                  ELSE coalesce((SELECT t.tokens FROM unnest($7::uuid[], $8::int[]) AS t(q, tokens) WHERE t.q = r.q), $9::int) END))
           FOR UPDATE OF x SKIP LOCKED
         ) p
         WHERE r.first_due <= now()
       ),
       -- A capped dependency's rows beyond its cap (those under way counted) wait for the next claim.
       -- Candidates are read in ring order and only as far as twice the limit: each one read is
       -- locked until this statement ends (hidden from other instances' claims), so reading every
       -- visited queue's rows to keep a few would lock many rows for nothing.
       due AS (
         SELECT id, q, n FROM (
           SELECT c.id, c.q, c.n, c.due_at,
                  CASE WHEN c.dependency LIKE $11
                       THEN row_number() OVER (PARTITION BY c.dependency ORDER BY c.n, c.due_at)
                            + coalesce((SELECT b.running FROM busy b WHERE b.dependency = c.dependency), 0)
                       ELSE 0 END AS slot
           FROM (SELECT * FROM candidates LIMIT 2 * $2::int) c
         ) ranked
         WHERE slot <= $12
         ORDER BY n, due_at
         LIMIT $2::int
       ),
       claimed AS (
         UPDATE deliveries d
         SET status = 'running', attempts = d.attempts + 1, locked_by = $4,
             due_at = now() + $10 * interval '1 millisecond', updated_at = now()
         FROM due WHERE d.id = due.id
         RETURNING d.id, d.event_id, d.listener, d.attempts, d.dependency, due.q, due.n
       )
       SELECT c.id::text AS delivery_id, c.listener, c.attempts, c.dependency, c.q::text AS queue, c.n AS ring_position,
              ${ENVELOPE_COLUMNS}
       FROM claimed c JOIN events e ON e.id = c.event_id
       ORDER BY e.seq`,
      [
        limits.cursor,
        limit,
        this.options.listeners,
        this.options.instanceId,
        this.options.tenantConcurrency,
        limits.blocked,
        limits.tokens?.queues ?? [],
        limits.tokens?.counts ?? [],
        limits.tokens?.burst ?? limit,
        this.options.leaseMs,
        this.options.dependencyConcurrency ? `${likeEscaped(this.options.dependencyConcurrency.prefix)}%` : '',
        this.options.dependencyConcurrency?.limit ?? 2_147_483_647,
      ],
    );
  }

  /**
   * Renews the leases of this instance's runs; returns the ids of those it still holds (a run
   * whose row is not among them lost it: another instance took it over). A row locked by this
   * instance's completion batch (its work under way, maybe stuck) is skipped, not waited for: no
   * claim can take a locked row, and a renewal that waited would hold up every other run's.
   */
  async renew(runs: readonly { id: string; attempts: number }[]): Promise<Set<string>> {
    if (runs.length === 0) return new Set();
    const rows: { id: string }[] = await this.dataSource.query(
      `WITH mine AS (
         SELECT d.id FROM deliveries d JOIN unnest($1::bigint[], $2::int[]) AS g(id, attempts)
           ON d.id = g.id AND d.attempts = g.attempts
         WHERE d.locked_by = $3 AND d.status = 'running'
       ),
       free AS (SELECT id FROM deliveries WHERE id IN (SELECT id FROM mine) FOR UPDATE SKIP LOCKED),
       renewed AS (
         UPDATE deliveries d SET due_at = now() + $4 * interval '1 millisecond' FROM free WHERE d.id = free.id
       )
       SELECT id::text FROM mine`,
      [runs.map((r) => r.id), runs.map((r) => r.attempts), this.options.instanceId, this.options.leaseMs],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** A failed run's row, due again after `delayMs` (held if that is far off). */
  async retryLater(guard: Guard, lastError: string, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET status = 'pending', locked_by = NULL, last_error = $4, updated_at = now(),
              due_at = now() + $5 * interval '1 millisecond',
              held_until = CASE WHEN $5 >= ${HOLD_AFTER_MS} THEN now() + $5 * interval '1 millisecond' END
       WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'`,
      [guard.id, guard.lockedBy, guard.attempts, lastError, delayMs],
    );
  }

  /**
   * A run whose dependency's breaker is open: its row goes back to wait for the breaker, and the
   * attempt is given back (waiting for a dependency spends none).
   */
  async waitForBreaker(guard: Guard, lastError: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET status = 'pending', locked_by = NULL, last_error = $4, updated_at = now(),
              attempts = greatest(attempts - 1, 0), due_at = now(), held_until = 'infinity'
       WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'`,
      [guard.id, guard.lockedBy, guard.attempts, lastError],
    );
  }

  /** Hands this instance's running rows back at once (shutdown), without spending their attempts. */
  async releaseOwn(): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET status = 'pending', locked_by = NULL, due_at = now(),
              attempts = greatest(attempts - 1, 0), updated_at = now()
       WHERE locked_by = $1 AND status = 'running'`,
      [this.options.instanceId],
    );
  }

  /**
   * Claims the oldest waiting row of `dependency` whatever its due time or hold: the probe that
   * tells whether the dependency is back.
   */
  async claimProbe(dependency: string): Promise<Claimed | null> {
    const [row]: Claimed[] = await this.dataSource.query(
      `WITH probe AS (
         SELECT id FROM deliveries
         WHERE dependency = $1 AND status = 'pending' AND listener = ANY($2::varchar[])
         ORDER BY due_at LIMIT 1
         FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE deliveries d
         SET status = 'running', attempts = d.attempts + 1, locked_by = $3, held_until = NULL,
             due_at = now() + $4 * interval '1 millisecond', updated_at = now()
         FROM probe WHERE d.id = probe.id
         RETURNING d.id, d.event_id, d.listener, d.attempts, d.dependency, ${tenantQueue('d')} AS q
       )
       SELECT c.id::text AS delivery_id, c.listener, c.attempts, c.dependency, c.q::text AS queue, 0 AS ring_position,
              ${ENVELOPE_COLUMNS}
       FROM claimed c JOIN events e ON e.id = c.event_id`,
      [dependency, this.options.listeners, this.options.instanceId, this.options.leaseMs],
    );
    return row ?? null;
  }
}

/** `text` for a LIKE pattern, its wildcards taken literally. */
function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The claim a run holds on its row. */
export interface Guard {
  id: string;
  lockedBy: string;
  attempts: number;
}

/**
 * Statements the runtime sends together once per poll: held rows that come due are released into
 * the claimable set; due rows of dependencies whose breaker is not closed are held until it
 * closes; and rows still held for a breaker that has closed are released (the instance that
 * closed it releases them at once, but another instance's hold may have raced with that).
 */
export const HOUSEKEEPING_SQL = [
  `UPDATE deliveries SET held_until = NULL
   WHERE held_until <= now() + interval '${RELEASE_AHEAD_MS} milliseconds' AND status = 'pending'`,
  `UPDATE deliveries SET held_until = 'infinity'
   WHERE dependency IN (SELECT key FROM circuit_breakers WHERE state <> 'closed') AND status = 'pending'
     AND held_until IS NULL`,
  `UPDATE deliveries SET held_until = NULL
   WHERE dependency IN (SELECT key FROM circuit_breakers WHERE state = 'closed') AND status = 'pending'
     AND held_until = 'infinity'`,
];
