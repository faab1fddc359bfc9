import type { EventEnvelope } from '../events/envelope';
import type { StreamHub } from './stream-hub';
import type { StreamKey } from './streams';

/** What a subscription yields: an event, or the notice that access ended (the resolver raises it). */
export type LiveItem = EventEnvelope | { revoked: string };

export interface LiveSubscriptionOptions {
  stream: StreamKey;
  /** Resume after this seq: stored events after it are replayed first. */
  after: string | null;
  /** Which of the stream's events this subscriber may and wants to see. */
  accept: (event: EventEnvelope) => boolean;
  /** Live events buffered at most; beyond that the consumer is too slow and `onOverflow` runs. */
  queueLimit: number;
  onOverflow: (queued: number) => void;
  /** Runs once when the subscription ends, whatever ended it. */
  onEnd?: () => void;
}

const REPLAY_PAGE = 200;

/**
 * One subscription's events: first the stored ones after `after` (read page by page as the
 * consumer pulls, so a long replay costs no memory), then live ones. Live events that arrive
 * during the replay wait in the queue, and the replay stops at the position where live delivery
 * began, so the switch has no gap and no duplicate. An AsyncIterator written out (not an async
 * generator) so that `return()` takes effect at once, even while `next()` waits.
 */
export class LiveSubscription implements AsyncIterableIterator<LiveItem> {
  private readonly live: LiveItem[] = [];
  private replayed: EventEnvelope[] = [];
  private replayCursor: string | null;
  private replayUpTo = '0';
  private waiting: ((result: IteratorResult<LiveItem>) => void) | null = null;
  private done = false;
  private leave: () => void = () => undefined;

  private constructor(
    private readonly hub: StreamHub,
    private readonly options: LiveSubscriptionOptions,
  ) {
    this.replayCursor = options.after;
  }

  static async open(hub: StreamHub, options: LiveSubscriptionOptions): Promise<LiveSubscription> {
    const subscription = new LiveSubscription(hub, options);
    const { position, leave } = await hub.join(options.stream, (event) => subscription.push(event));
    subscription.leave = leave;
    subscription.replayUpTo = position;
    if (subscription.replayCursor !== null && BigInt(subscription.replayCursor) >= BigInt(position)) {
      subscription.replayCursor = null; // nothing stored to replay
    }
    return subscription;
  }

  /** Ends the subscription with a notice the client receives as an error, then completes. */
  revoke(reason: string): void {
    if (this.done) return;
    const notice = { revoked: reason };
    if (this.waiting && this.replayCursor === null && this.replayed.length === 0) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: notice, done: false });
      void this.return();
    } else {
      this.live.push(notice); // next() ends the subscription after handing it out
      this.leave();
    }
  }

  private push(event: EventEnvelope): void {
    if (this.options.accept(event)) this.enqueue(event);
  }

  private enqueue(item: LiveItem): void {
    if (this.done) return;
    if (this.waiting && this.replayCursor === null && this.replayed.length === 0) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
      return;
    }
    this.live.push(item);
    if (this.live.length > this.options.queueLimit) {
      const queued = this.live.length;
      void this.return();
      this.options.onOverflow(queued);
    }
  }

  async next(): Promise<IteratorResult<LiveItem>> {
    if (this.done) return { value: undefined, done: true };
    if (this.replayed.length === 0 && this.replayCursor !== null) await this.readReplayPage();
    const item = this.replayed.shift() ?? (this.replayCursor === null ? this.live.shift() : undefined);
    if (item && 'revoked' in item) void this.return(); // the notice is the last item
    if (item) return { value: item, done: false };
    if (this.replayCursor !== null) return this.next();
    if (this.done) return { value: undefined, done: true };
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private async readReplayPage(): Promise<void> {
    const page = await this.hub.read(this.options.stream, this.replayCursor!, this.replayUpTo, REPLAY_PAGE);
    this.replayCursor = page.length < REPLAY_PAGE ? null : page[page.length - 1].seq;
    this.replayed = page.filter(this.options.accept);
  }

  async return(): Promise<IteratorResult<LiveItem>> {
    if (!this.done) {
      this.done = true;
      this.leave();
      this.options.onEnd?.();
      this.live.length = 0;
      this.replayed = [];
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
    }
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<LiveItem>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
