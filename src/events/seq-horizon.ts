import type { DataSource } from 'typeorm';

/**
 * Every transaction that appends events holds this advisory lock in SHARED mode from before it
 * draws its first `seq` until it ends (src/events/event-store.ts). Shared holders never conflict,
 * so appends do not wait for each other; the lock only tells a reader "this transaction may hold
 * a seq that is not committed yet".
 */
export const APPENDING_LOCK_KEY = 0x6865726c; // "herl"

export interface SeqHorizonOptions {
  /** Pause between two looks at the appending transactions a horizon waits for, ms. */
  pollMs?: number;
  /**
   * Longest one computation waits for them, ms; then it answers the previous horizon, or fails if
   * there is none yet. Only a transaction stuck between its append and its COMMIT takes that long
   * (e.g. its client's host vanished: PostgreSQL notices with TCP keepalives).
   */
  maxWaitMs?: number;
}

/**
 * The safe horizon of the event store: a seq H such that every event with seq ≤ H has committed
 * or rolled back. Reading `position < seq ≤ H` is then gapless: no event can later appear below H.
 *
 * `seq` is drawn at insert, while the transaction is open, so seq order is not commit order: a
 * transaction may draw 10, a later one 11 and commit first. Finding H:
 *   1. read the sequence's last drawn value H (nextval is not transactional: H counts every draw,
 *      committed or not; the sequence must keep CACHE 1, the identity default, or a backend could
 *      later hand out a cached value ≤ H);
 *   2. after that read, list the transactions that hold the appending lock now (pg_locks is the
 *      live lock table, not a snapshot);
 *   3. wait until each of them has ended.
 * A transaction that drew a seq ≤ H drew it before step 1, and took the lock before its draw (the
 * lock is the append statement's first, materialised step), so at step 2 it still holds the lock
 * and is listed, or it has already ended. One that takes the lock after step 2 draws after step 1,
 * so above H. PostgreSQL marks a transaction ended in the proc array before it releases its locks,
 * so once its lock is gone, a statement that starts afterwards (each of a reader's autocommit
 * statements takes a new snapshot) sees its rows. A rolled-back transaction leaves a gap for good,
 * and the wait for it ends with its rollback: nothing stalls.
 *
 * Steps 1 and 2 are one statement: the lock list is a subquery correlated with the sequence row,
 * so PostgreSQL can only evaluate it after reading that row. The reader's own backend is left out
 * of the list (a reader inside an appending transaction would otherwise wait for itself).
 *
 * Embedded (PGlite) runs one session on one pooled connection, so no appending transaction is
 * open while a reader's statement runs: the list is empty and H is the horizon at once. pg_locks
 * works there too, so the code path is the same.
 *
 * One instance serves every reader of a Herald (all streams, the `events` query, replays). A
 * computation already under way may have read H before a caller asked, so callers that ask while
 * one runs share the NEXT one: each caller gets a horizon read after it asked (read-your-writes),
 * and the cost is one or two computations per wake-up batch, whatever the number of streams.
 */
export class SeqHorizon {
  private running: Promise<string> | null = null;
  private queued: Promise<string> | null = null;
  private last = 0n;
  private known = false;
  private sequence: Promise<string> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: SeqHorizonOptions = {},
  ) {}

  /** A safe horizon read after this call (see the class comment). */
  next(): Promise<string> {
    if (!this.running) return this.start();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<string> {
    const computing = this.compute().finally(() => {
      if (this.running === computing) this.running = null;
    });
    this.running = computing;
    return computing;
  }

  private async compute(): Promise<string> {
    const sequence = await this.sequenceName();
    const [row]: { horizon: string; writers: string[] }[] = await this.dataSource.query(
      `SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END::text AS horizon,
              (SELECT coalesce(array_agg(l.virtualtransaction), '{}') FROM pg_locks l
               WHERE ${APPENDING_LOCKS} AND s.last_value IS NOT NULL) AS writers
       FROM ${sequence} s`,
      [APPENDING_LOCK_KEY],
    );
    let writers = row.writers;
    const deadline = Date.now() + (this.options.maxWaitMs ?? 5_000);
    while (writers.length > 0) {
      if (Date.now() > deadline) {
        // An earlier horizon is still safe (the next call tries again); without one, a reader
        // must not start from 0, which would replay the whole store as new.
        if (this.known) return this.last.toString();
        throw new Error(`appending transactions still open after ${this.options.maxWaitMs ?? 5_000} ms: no safe horizon yet`);
      }
      await sleep(this.options.pollMs ?? 1);
      const [still]: { writers: string[] }[] = await this.dataSource.query(
        `SELECT coalesce(array_agg(l.virtualtransaction), '{}') AS writers FROM pg_locks l
         WHERE ${APPENDING_LOCKS} AND l.virtualtransaction = ANY($2::text[])`,
        [APPENDING_LOCK_KEY, writers],
      );
      writers = still.writers;
    }
    const horizon = BigInt(row.horizon);
    if (horizon > this.last) this.last = horizon;
    this.known = true;
    return this.last.toString();
  }

  private sequenceName(): Promise<string> {
    this.sequence ??= this.dataSource
      .query(`SELECT pg_get_serial_sequence('public.events', 'seq') AS name`)
      .then(([{ name }]: { name: string | null }[]) => {
        if (!name) throw new Error('events.seq has no sequence');
        return name; // already quoted where needed
      });
    this.sequence.catch(() => (this.sequence = null));
    return this.sequence;
  }
}

/** Granted locks on APPENDING_LOCK_KEY ($1) in this database, other backends than ours. */
const APPENDING_LOCKS = `l.locktype = 'advisory' AND l.classid = 0 AND l.objid = $1::oid AND l.objsubid = 1
  AND l.granted AND l.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
