import type { DataSource } from 'typeorm';
import type { EventEnvelope } from '../events/envelope';
import { compareSeq } from '../events/event-store';
import type { EventBus } from '../events/pubsub';
import { SeqHorizon } from '../events/seq-horizon';
import { readStream, streamsOf, type StreamKey } from '../events/streams';
import type { Logger } from '../logger';

/**
 * Receives a stream's events in seq order, each once. It must not block: a fan-out group queues
 * the event and delivers it in turns (fan-out.ts), so the next wake-up and read start at once.
 */
export type StreamListener = (event: EventEnvelope) => void;

const PAGE = 500;
/** Longest a new stream waits for its pub/sub subscription before it relies on its poll, ms. */
const SUBSCRIBE_WAIT_MS = 1_000;

/**
 * One reader per stream per instance, shared by every local subscriber of that stream. A pub/sub
 * message only wakes the reader; the reader then reads the store after the last seq it saw, up to
 * the safe horizon (src/events/seq-horizon.ts: no event can appear later at or below it). So this
 * is gapless and in order whatever order messages arrive in, from whichever instance, and a lost
 * message is made up for by the next one or by the poll.
 */
class StreamReader {
  readonly listeners = new Set<StreamListener>();
  position = '0';
  private reading: Promise<void> | null = null;
  private again = false;
  private subscriptionId: number | null = null;
  private closed = false;
  /** Until the starting position is known, a wake-up only asks for a read once it is. */
  private opened = false;
  private pollTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly key: StreamKey,
    private readonly hub: StreamHub,
  ) {}

  async open(pollIntervalMs: number): Promise<void> {
    // Subscribe before taking the position, so a wake-up for anything committed in between is not
    // missed. While Redis is down the subscription waits for it (ioredis queues the command), so
    // the wait is bounded: the stream then runs on its poll alone, and the subscription takes
    // effect when Redis is back. Waiting without a bound left such a subscriber without any event,
    // and a shutdown waiting for this open until its timeout.
    const subscribing = this.hub.bus.engine.subscribe(this.hub.bus.channels.stream(this.key), (ping: { seq?: string }) => this.wakeFor(ping.seq), {}).then(
      (id) => {
        if (this.closed) this.hub.bus.engine.unsubscribe(id);
        else this.subscriptionId = id;
      },
      (error) => {
        if (!this.closed) this.hub.logger.warn({ err: error, stream: this.key }, 'stream subscription failed; following it by polling');
      },
    );
    await settledWithin(subscribing, SUBSCRIBE_WAIT_MS);
    // The horizon, not max(seq): an event below max(seq) may still commit.
    this.position = await this.hub.horizon.next();
    this.opened = true;
    this.pollTimer = setInterval(() => this.wake(), pollIntervalMs);
    this.pollTimer.unref();
    if (this.again) {
      this.again = false;
      this.wake();
    }
  }

  close(): void {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.subscriptionId !== null) this.hub.bus.engine.unsubscribe(this.subscriptionId);
  }

  /**
   * A wake-up for an event at `seq`: nothing to do if it was read already (the local commit woke
   * this reader before its Redis message came back).
   */
  wakeFor(seq: string | undefined): void {
    if (seq !== undefined && this.opened && compareSeq(seq, this.position) <= 0) return;
    this.wake();
  }

  /** Reads what is new now, or once more after the read under way. */
  wake(): void {
    // A read from position 0 would hand the stream's whole history to its first subscribers.
    if (this.reading || !this.opened) {
      this.again = true;
      return;
    }
    this.reading = this.readNew()
      .catch((error) => this.hub.logger.warn({ err: error, stream: this.key }, 'stream read failed; retrying at the next wake-up'))
      .finally(() => {
        this.reading = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async readNew(): Promise<void> {
    const horizon = await this.hub.horizon.next();
    for (;;) {
      const events = await this.hub.read(this.key, this.position, horizon, PAGE);
      for (const event of events) {
        this.position = event.seq;
        for (const listener of this.listeners) listener(event);
      }
      if (events.length < PAGE) {
        // Everything of this stream up to the horizon is delivered: start there next time.
        if (BigInt(horizon) > BigInt(this.position)) this.position = horizon;
        return;
      }
    }
  }
}

/** The live streams this instance follows, opened on the first subscriber and closed after the last. */
export class StreamHub {
  private readonly readers = new Map<StreamKey, Promise<StreamReader>>();

  constructor(
    readonly dataSource: DataSource,
    readonly bus: EventBus,
    readonly logger: Logger,
    private readonly pollIntervalMs = 2_000,
    /** Bounds every read; one per instance, so one computation serves all streams' wake-ups. */
    readonly horizon: SeqHorizon = new SeqHorizon(dataSource),
  ) {}

  /**
   * Starts delivering the stream's events committed after the returned `position` to `listener`.
   * Call `leave` to stop.
   */
  async join(key: StreamKey, listener: StreamListener): Promise<{ position: string; leave: () => void }> {
    let opening = this.readers.get(key);
    if (!opening) {
      const reader = new StreamReader(key, this);
      opening = reader.open(this.pollIntervalMs).then(() => reader);
      this.readers.set(key, opening);
      opening.catch(() => this.readers.delete(key));
    }
    const reader = await opening;
    reader.listeners.add(listener);
    let left = false;
    return {
      position: reader.position,
      leave: () => {
        if (left) return;
        left = true;
        reader.listeners.delete(listener);
        if (reader.listeners.size === 0 && this.readers.get(key) === opening) {
          this.readers.delete(key);
          reader.close();
        }
      },
    };
  }

  /**
   * Events this instance has just committed: their streams' readers read now, without waiting for
   * the pub/sub message to come back (which then finds nothing new). Other instances' events
   * still arrive by pub/sub.
   */
  committed(events: readonly EventEnvelope[]): void {
    for (const event of events) {
      for (const key of streamsOf(event)) {
        void this.readers.get(key)?.then((reader) => reader.wakeFor(event.seq), () => undefined);
      }
    }
  }

  /**
   * A page of the stream's stored events with after < seq ≤ upTo, in seq order. `upTo` must be a
   * safe horizon (a join's `position` is one).
   */
  read(key: StreamKey, after: string, upTo: string, limit: number): Promise<EventEnvelope[]> {
    return readStream(this.dataSource, key, after, upTo, limit);
  }

  /** Streams followed now (for metrics and tests). */
  get streamCount(): number {
    return this.readers.size;
  }

  async close(): Promise<void> {
    for (const opening of this.readers.values()) (await opening.catch(() => null))?.close();
    this.readers.clear();
  }
}

/** Resolves when `work` settles or `ms` have passed, whichever comes first. */
function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work.then(() => undefined), elapsed]).finally(() => clearTimeout(timer));
}
