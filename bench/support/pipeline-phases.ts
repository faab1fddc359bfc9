import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { EventStore } from '../../src/events/event-store';
import { Transactions } from '../../src/events/transactions';
import { runFor, runPaced, withTimeout } from './concurrency';
import { BENCH_EVENT, type EffectRecorder } from './effect-listeners';
import { percentile } from './stats';

/** Committers (Herald) and clients (plain) in flight at once: pgbench's `-c`. */
export const CONCURRENCY = 8;
/**
 * Committers wait while this many committed events are not done yet, so a burst measures what
 * the pipeline sustains rather than how fast a backlog grows, and drains in a second or two.
 */
export const MAX_BACKLOG = 50;
/** Listener names no instance runs: the commit path's rows without anyone handling them. */
const UNHANDLED = ['bench-unhandled-1', 'bench-unhandled-2', 'bench-unhandled-3', 'bench-unhandled-4', 'bench-unhandled-5'];

const ORIGIN = { actorId: null, tenantId: null, context: { requestId: null, ip: '127.0.0.1', userAgent: 'herald-bench' } };
const PLAIN_INSERT = `INSERT INTO bench_plain_events (id, name, tenant_id, actor_id, payload, context, occurred_at)
  VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())`;

/** The reference table: the events table's columns, identity and indexes. */
export const PLAIN_TABLE_SQL = `CREATE TABLE bench_plain_events (LIKE events INCLUDING ALL)`;

/** The measured phases of the pipeline scenario; each starts and ends with the pipeline idle. */
export class PipelinePhases {
  private readonly unhandled: Transactions;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly recorder: EffectRecorder,
    private readonly pool: Pool,
  ) {
    // Prepared like the server's store (src/server.ts).
    this.unhandled = new Transactions(dataSource, new EventStore(() => UNHANDLED, undefined, { preparedStatements: true }), () => undefined);
  }

  /** Events committed for `seconds` (with back-pressure), until all their listeners are done. */
  async heraldBurst(seconds: number) {
    this.recorder.reset();
    const cpu = process.cpuUsage();
    const started = performance.now();
    let committed = 0;
    await runFor(CONCURRENCY, seconds, async () => {
      await this.recorder.eventsDone(committed + 1 - MAX_BACKLOG);
      committed++;
      await this.commitEvent();
    });
    await withTimeout(this.recorder.eventsDone(committed), 120_000, `${committed} events to be handled`);
    const elapsed = (performance.now() - started) / 1000;
    const delays = this.recorder.startDelays();
    return {
      heraldEventsPerSecond: committed / elapsed,
      heraldCpuMsPerEvent: cpuMs(process.cpuUsage(cpu)) / committed,
      burstStartP50: percentile(delays, 0.5),
      burstStartP99: percentile(delays, 0.99),
    };
  }

  /**
   * The commit path alone: the same event and five delivery rows per transaction, for listeners
   * no instance runs (their rows are deleted afterwards), so nothing competes with the commits.
   */
  async commitPathBurst(seconds: number) {
    const started = performance.now();
    const committed = await runFor(CONCURRENCY, seconds, () => this.commitEvent(this.unhandled).then(() => undefined));
    const result = { commitPathPerSecond: committed / ((performance.now() - started) / 1000) };
    await this.dataSource.query(`DELETE FROM deliveries WHERE listener = ANY($1)`, [UNHANDLED]);
    return result;
  }

  /** Plain write transactions for `seconds`. */
  async plainBurst(seconds: number) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const count = await runFor(CONCURRENCY, seconds, () => this.plainTransaction());
    return {
      plainTxPerSecond: count / ((performance.now() - started) / 1000),
      plainCpuMsPerTx: cpuMs(process.cpuUsage(cpu)) / count,
    };
  }

  /** `events` committed at `perSecond`: delays from commit to listeners starting and finishing. */
  async heraldPaced(perSecond: number, events: number) {
    this.recorder.reset();
    await runPaced(perSecond, events, () => this.commitEvent().then(() => undefined));
    await withTimeout(this.recorder.eventsDone(events), 60_000, `${events} paced events to be handled`);
    const starts = this.recorder.startDelays();
    const done = this.recorder.completionDelays();
    return {
      startP50: percentile(starts, 0.5),
      startP99: percentile(starts, 0.99),
      doneP50: percentile(done, 0.5),
      doneP99: percentile(done, 0.99),
    };
  }

  /** Plain write transactions at `perSecond`: the latency of one, BEGIN to COMMIT acknowledged. */
  async plainPaced(perSecond: number, transactions: number) {
    const latencies: number[] = [];
    await runPaced(perSecond, transactions, async () => {
      const started = performance.now();
      await this.plainTransaction();
      latencies.push(performance.now() - started);
    });
    return { plainTxP50: percentile(latencies, 0.5), plainTxP99: percentile(latencies, 0.99) };
  }

  /**
   * Commits one event of `tenantId` (default: a tenant of its own); the unit of work records it
   * and nothing else. Its key, in the request id of its context, is returned.
   */
  async commitEvent(transactions: Transactions = this.transactions, tenantId: string = uuidv7(), label = ''): Promise<string> {
    const key = `${label}${uuidv7()}`;
    await transactions.run({ ...ORIGIN, context: { ...ORIGIN.context, requestId: key } }, async (tx) =>
      tx.record(BENCH_EVENT, { tenantId }, { tenantId }),
    );
    this.recorder.committed(key, performance.now());
    return key;
  }

  /** One plain write transaction: BEGIN, an INSERT of an event-like row, COMMIT. */
  private async plainTransaction(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const key = uuidv7();
      await client.query(PLAIN_INSERT, [uuidv7(), BENCH_EVENT, key, null, { tenantId: key }, ORIGIN.context]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}
