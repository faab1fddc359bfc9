import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import type { EventEnvelope } from './envelope';
import { ENVELOPE_COLUMNS, envelopeOf, type EventRow } from './event-store';
import type { EventBus } from './pubsub';
import { streamsOf } from './streams';

export interface EventPublisherOptions {
  /** How often to look for committed events that were never published, ms. */
  sweepIntervalMs?: number;
  /** An event younger than this is left to the normal path, ms. */
  sweepGraceMs?: number;
  /** Called with every committed event of this instance before it is published (wakes local listeners). */
  onCommitted?: (events: readonly EventEnvelope[]) => void;
  /** Test hook: publication waits for this promise (a test kills the process meanwhile). */
  pauseBeforePublish?: () => Promise<void>;
}

/**
 * How long marks of published events wait to be gathered into one UPDATE, ms. A mark only keeps the
 * sweep (which waits 2 s) from publishing an event again, so a few ms late costs nothing.
 */
const MARK_DELAY_MS = 5;

/**
 * Carries committed events to the event bus. The normal path publishes right after commit; a
 * sweep republishes what stayed unpublished (the process died in between, or Redis was down).
 * Both may publish an event twice, never zero times: consumers dedupe by id/seq.
 */
export class EventPublisher {
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly toMark: string[] = [];
  private marking: Promise<void> | null = null;
  private nextMark: Promise<void> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: EventPublisherOptions = {},
  ) {}

  /**
   * Hands freshly committed events on; never throws and never makes the caller wait for Redis.
   * The work (waking local listeners and readers, serialising and publishing) starts two
   * setImmediate turns later: after the caller's response has been written and after the next
   * poll of the event loop, so I/O that is ready (other requests, their database answers) goes
   * first and a mutation does not pay for it. Batches still start in commit order, `stop()` waits
   * for them, and if the process dies first, the sweep publishes what stayed unpublished.
   */
  committed(events: readonly EventEnvelope[]): void {
    const publishing: Promise<unknown> = new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)))
      .then(() => {
        this.options.onCommitted?.(events);
        return this.publishAndMark(events);
      })
      .catch((error) => this.logger.warn({ err: error }, 'publication failed; the sweep will retry'))
      .finally(() => this.inFlight.delete(publishing));
    this.inFlight.add(publishing);
  }

  startSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 5_000);
    this.sweepTimer.unref();
  }

  /** Publishes committed events that are still unpublished. Returns how many went out. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    let published = 0;
    this.sweeping = (async () => {
      const rows: EventRow[] = await this.dataSource.query(
        `SELECT ${ENVELOPE_COLUMNS} FROM events e
         WHERE e.published_at IS NULL AND e.occurred_at < now() - $1 * interval '1 millisecond'
         ORDER BY e.seq LIMIT 500`,
        [this.options.sweepGraceMs ?? 2_000],
      );
      if (rows.length === 0) return;
      const events = rows.map(envelopeOf);
      this.options.onCommitted?.(events);
      published = await this.publishAndMark(events);
      if (published > 0) this.logger.info({ published }, 'sweep published events that had been left unpublished');
    })()
      .catch((error) => this.logger.warn({ err: error }, 'event sweep failed; will try again'))
      .finally(() => {
        this.sweeping = null;
      });
    await this.sweeping;
    return published;
  }

  /** Stops the sweep and waits for publications under way. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await Promise.allSettled([...this.inFlight, this.sweeping]);
  }

  private async publishAndMark(events: readonly EventEnvelope[]): Promise<number> {
    await this.options.pauseBeforePublish?.();
    const published: string[] = [];
    for (const event of events) {
      try {
        // The stream channels only carry a wake-up: subscribers read the store, in seq order.
        const ping = { seq: event.seq };
        await Promise.all([
          this.bus.engine.publish(this.bus.channels.events, event),
          ...streamsOf(event).map((key) => this.bus.engine.publish(this.bus.channels.stream(key), ping)),
        ]);
        published.push(event.id);
      } catch (error) {
        this.logger.warn({ err: error, eventId: event.id }, 'publish failed; the sweep will retry');
        break; // keep order: what follows waits for the sweep too
      }
    }
    if (published.length === 0) return 0;
    await this.markPublished(published);
    return published.length;
  }

  /**
   * Marks events published. Batches that finish while a mark is under way share the next UPDATE,
   * so concurrent commits cost one statement, not one each. The mark commits without waiting for
   * its WAL flush (synchronous_commit off, for this transaction only): a mark lost in a crash
   * only means the sweep publishes the event again, which consumers already tolerate.
   */
  private markPublished(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.toMark.push(id);
    // The next mark starts MARK_DELAY_MS after the previous one (or after the first id waiting):
    // under load, one UPDATE marks the events of many commits.
    this.nextMark ??= (this.marking ?? Promise.resolve()).then(() => new Promise((resolve) => setTimeout(resolve, MARK_DELAY_MS))).then(async () => {
      const batch = this.toMark.splice(0);
      this.nextMark = null;
      this.marking = this.dataSource
        .query(
          `WITH async AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
           UPDATE events SET published_at = now() FROM async WHERE id = ANY($1::uuid[])`,
          [batch],
        )
        .then(
          () => undefined,
          (error) => this.logger.warn({ err: error }, 'could not mark events published; they may be published again'),
        );
      await this.marking;
    });
    return this.nextMark;
  }
}
