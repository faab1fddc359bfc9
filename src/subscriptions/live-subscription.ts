import type { EventEnvelope } from '../events/envelope';
import type { FanOut, FanOutGroup, GroupMember, RenderPayload } from './fan-out';
import type { StreamHub } from './stream-hub';
import type { StreamKey } from './streams';

/** What a subscription yields: a replayed event, or the notice that access ended (the resolver raises it). */
export type LiveItem = EventEnvelope | { revoked: string };

/** Where a subscription's live `next` messages go: straight to its socket, its id spliced in. */
export interface FrameOutput {
  /** Sends `{"id":…,"type":"next","payload":<payload>}`. */
  write(payload: Buffer): void;
  /** Bytes the socket has not yet handed to the operating system. */
  readonly bufferedAmount: number;
}

export interface LiveSubscriptionOptions {
  stream: StreamKey;
  /** Resume after this seq: stored events after it are replayed first. */
  after: string | null;
  /** Which of the stream's events this subscriber may and wants to see. */
  accept: (event: EventEnvelope) => boolean;
  /**
   * What decides `accept` besides the operation's arguments (e.g. whether the role sees security
   * events): part of the group key, so only subscribers who see the same events share a group.
   */
  scope: string;
  /** Events waiting at most; beyond that the consumer is too slow (`overflowed`) and it ends. */
  queueLimit: number;
}

/** How the GraphQL layer renders and delivers this subscription's events (see graphql/live-execution). */
export interface LiveRendering {
  /** Identifies the operation (document, operation name, variables) within the group key. */
  operationKey: string;
  render: RenderPayload;
  output: FrameOutput;
}

const REPLAY_PAGE = 200;
const DONE: IteratorResult<LiveItem> = { value: undefined, done: true };

/**
 * One subscriber. Live events come from its group's shared rendering and are written straight to
 * the socket; the iterator only yields what goes through the per-subscriber (masked) path: stored
 * events replayed after `after`, page by page as the consumer pulls, then the revocation notice.
 * Live frames that arrive during the replay wait in a bounded backlog, and the replay stops at the
 * group's position when the subscriber joined, so the switch has no gap and no duplicate. An
 * AsyncIterator written out (not an async generator) so that `return()` takes effect at once.
 */
export class LiveSubscription implements AsyncIterableIterator<LiveItem>, GroupMember {
  private replaying: boolean;
  private replayCursor: string | null;
  private replayUpTo = '0';
  private replayed: EventEnvelope[] = [];
  private backlog: Buffer[] = [];
  private notice: { revoked: string } | null = null;
  private waiting: ((result: IteratorResult<LiveItem>) => void) | null = null;
  private parked: (() => void) | null = null;
  private output: FrameOutput | null = null;
  private done = false;
  private group: FanOutGroup | null = null;

  constructor(
    private readonly hub: StreamHub,
    private readonly options: LiveSubscriptionOptions,
  ) {
    this.replayCursor = options.after;
    this.replaying = options.after !== null;
  }

  /** Joins the group of subscribers rendered alike; live delivery begins. */
  async start(fanOut: FanOut, rendering: LiveRendering): Promise<void> {
    const { stream, scope, accept } = this.options;
    this.output = rendering.output;
    const key = JSON.stringify([stream, scope, rendering.operationKey]);
    const { position, group } = await fanOut.join({ key, stream, accept, render: rendering.render }, this);
    this.group = group;
    // Ended or revoked while joining: out of the group at once (a revoked one still yields its notice).
    if (this.done || this.notice) return group.leave(this);
    this.replayUpTo = position;
    if (this.replayCursor !== null && BigInt(this.replayCursor) >= BigInt(position)) {
      this.replayCursor = null; // nothing stored to replay
    }
    this.started();
  }

  /** A live event of the group, rendered: sent now, or after the replay. */
  deliver(payload: Buffer): void {
    if (this.done) return;
    if (this.replaying) {
      this.backlog.push(payload);
      if (this.backlog.length > this.options.queueLimit) this.overflow(this.backlog.length);
      return;
    }
    const output = this.output!;
    // Bytes waiting in the socket, in events of this size: the same bound as a queue of events.
    const waiting = Math.floor(output.bufferedAmount / (payload.length + 40));
    if (waiting >= this.options.queueLimit) return this.overflow(waiting + 1);
    output.write(payload);
  }

  /** Ends the subscription with a notice the client receives as an error, then completes. */
  revoke(reason: string): void {
    if (this.done || this.notice) return;
    this.notice = { revoked: reason };
    this.group?.leave(this);
    this.replayCursor = null;
    this.replayed = [];
    this.backlog = [];
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: this.notice, done: false });
      void this.return();
    }
    this.wake();
  }

  /**
   * Instead of a pending `next()`: true when nothing is to be pulled now, and then `wake` runs
   * once there is (the revocation notice) or the subscription ended; false when `next()` has
   * something to do (a replay, a notice, the end). A live subscription waits for nothing else, and
   * its consumer would otherwise keep a chain of pending promises for its whole life.
   */
  park(wake: () => void): boolean {
    if (this.done || this.notice || this.replaying) return false;
    this.parked = wake;
    return true;
  }

  private wake(): void {
    const wake = this.parked;
    this.parked = null;
    wake?.();
  }

  async next(): Promise<IteratorResult<LiveItem>> {
    if (this.done) return DONE;
    if (this.replaying && !this.notice) {
      if (this.replayed.length === 0 && this.replayCursor !== null) await this.readReplayPage();
      const item = this.replayed.shift();
      if (item) return { value: item, done: false };
      if (this.replayCursor !== null) return this.next();
      this.goLive();
    }
    if (this.notice) {
      const notice = this.notice;
      void this.return(); // the notice is the last item
      return { value: notice, done: false };
    }
    if (this.done) return DONE;
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The replay reached the group's position: what arrived meanwhile goes out first. */
  private goLive(): void {
    this.replaying = false;
    const backlog = this.backlog;
    this.backlog = [];
    for (const payload of backlog) this.deliver(payload);
  }

  private async readReplayPage(): Promise<void> {
    const page = await this.hub.read(this.options.stream, this.replayCursor!, this.replayUpTo, REPLAY_PAGE);
    if (this.replayCursor === null) return; // revoked meanwhile
    this.replayCursor = page.length < REPLAY_PAGE ? null : page[page.length - 1].seq;
    this.replayed = page.filter(this.options.accept);
  }

  private overflow(queued: number): void {
    void this.return();
    this.overflowed(queued);
  }

  /*
   * What a subclass does when the subscription goes live, ends (whatever ended it), or ends
   * because its consumer is too slow (`queued` events wait): LiveEvents tracks it and closes the
   * connection. Overrides rather than callbacks: no closures per subscription.
   */
  protected started(): void {}

  protected ended(): void {}

  protected overflowed(_queued: number): void {}

  async return(): Promise<IteratorResult<LiveItem>> {
    if (!this.done) {
      this.done = true;
      this.group?.leave(this);
      this.ended();
      this.backlog = [];
      this.replayed = [];
      this.waiting?.(DONE);
      this.waiting = null;
      this.wake();
    }
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<LiveItem>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
