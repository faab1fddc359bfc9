import type { GraphQLFormattedError } from 'graphql';
import type { EventEnvelope } from '../events/envelope';
import { compareSeq } from '../events/event-store';
import type { StreamKey } from '../events/streams';
import { HeraldCloseCode } from './close-codes';
import type { FanOut, FanOutGroup, GroupMember, RenderPayload, Rendered } from './fan-out';
import type { LiveSink } from './live-sink';
import type { StreamHub } from './stream-hub';

/** What a subscription follows and who holds it, as its resolver authorised it. */
export interface LiveSpec {
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
  /** Events waiting at most; beyond that the consumer is too slow and its connection is closed. */
  queueLimit: number;
  /** Whose it is and of which tenant (null: not a tenant's), for revocation. */
  userId: string;
  tenantId: string | null;
  /** It receives the tenant's security events through the viewer's role (revoked if the role loses them). */
  needsSecurityRole: boolean;
}

/** How the operation renders an event (the same bytes for the replay and for the group). */
export interface LiveRendering {
  /** Identifies the operation (document, operation name, variables) within the group key. */
  operationKey: string;
  render: RenderPayload;
  /** The errors a client receives when the subscription ends for `message` (FORBIDDEN), masked. */
  forbidden: (message: string) => GraphQLFormattedError[];
}

/** Told when a subscription ends (LiveEvents forgets it) or its replay fails (logged). */
export interface LiveTracker {
  ended(subscription: LiveSubscription): void;
  replayFailed(subscription: LiveSubscription, error: unknown): void;
}

const REPLAY_PAGE = 200;
/** Bytes of a frame besides its payload (its head with the id), for the queue bound. */
const FRAME_OVERHEAD = 40;
const INTERNAL_ERROR: GraphQLFormattedError[] = [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }];

/**
 * One subscriber, fed by one push route: every event reaches its sink as bytes through `push`,
 * whether it is replayed from the store after `after` (read page by page, rendered with the
 * operation's rendering) or live from its group (rendered once for the group). Live events that
 * arrive during the replay wait in a bounded backlog, and the replay stops at the group's position
 * when the subscriber joined, so the switch has no gap and no duplicate. Revocation is
 * `sink.end(FORBIDDEN)`; a consumer too slow is `sink.close(SlowConsumer)`.
 */
export class LiveSubscription implements GroupMember {
  private sink: LiveSink | null = null;
  private group: FanOutGroup | null = null;
  private position = '0';
  /** Live payloads held while the replay runs; null once live. */
  private backlog: Buffer[] | null = null;
  private over = false;
  /** Revoked before it started: it ends with this as soon as it has a sink. */
  private revokedBefore: string | null = null;
  private rendering: LiveRendering | null = null;
  /** The size of the last payload: the queue bound counts the socket's buffered bytes in events of this size. */
  private payloadSize = 256;

  constructor(
    readonly spec: LiveSpec,
    private readonly tracker: LiveTracker,
  ) {}

  get joinedAt(): string {
    return this.position;
  }

  get isOver(): boolean {
    return this.over;
  }

  /** Joins the group of subscribers rendered alike and starts the replay, if any; live delivery begins. */
  async start(fanOut: FanOut, hub: StreamHub, rendering: LiveRendering, sink: LiveSink): Promise<void> {
    if (this.over) return;
    this.sink = sink;
    this.rendering = rendering;
    if (this.revokedBefore !== null) return this.revoke(this.revokedBefore);
    const { stream, scope, accept } = this.spec;
    const key = JSON.stringify([stream, scope, rendering.operationKey]);
    const group = await fanOut.groupOf({ key, stream, accept, render: rendering.render });
    if (this.over) return group.closeIfEmpty(); // stopped or revoked while the group opened: it never joined
    this.group = group;
    this.position = group.joinPosition;
    const after = this.spec.after;
    const replaying = after !== null && compareSeq(after, this.position) < 0;
    if (replaying) this.backlog = [];
    group.join(this);
    if (replaying) void this.replay(hub, after, rendering.render);
  }

  /** The group's next events, rendered: sent now (in one write when there are several), or after the replay. */
  deliver(events: readonly Rendered[]): void {
    if (this.over) return;
    let payloads = events.map((event) => event.payload);
    // Only what follows the position it joined at: its replay covers the rest.
    if (compareSeq(events[0].seq, this.position) <= 0) payloads = events.filter((e) => compareSeq(e.seq, this.position) > 0).map((e) => e.payload);
    if (payloads.length > 0) this.push(payloads);
  }

  /** Payloads to the sink, unless the consumer holds a queue's worth already (then its connection closes). */
  private push(payloads: Buffer[]): void {
    if (this.backlog) {
      this.backlog.push(...payloads);
      if (this.backlog.length > this.spec.queueLimit) this.overflow(this.backlog.length);
      return;
    }
    // Events already waiting in the socket's buffer (what the OS has not taken), in events of this
    // size: the same bound as a queue of events. What is handed over now goes out whole, as a
    // fast consumer takes a burst at once; the next delivery finds it waiting if it did not.
    this.payloadSize = payloads[payloads.length - 1].length + FRAME_OVERHEAD;
    const waiting = Math.floor(this.sink!.bufferedAmount / this.payloadSize);
    if (waiting >= this.spec.queueLimit) return this.overflow(waiting + payloads.length);
    this.sink!.writeAll(payloads);
  }

  /** Ends the subscription with FORBIDDEN and `reason`: the client gets an error, then complete. */
  revoke(reason: string): void {
    if (this.over) return;
    if (!this.sink) {
      this.revokedBefore = reason;
      return;
    }
    this.finish();
    this.sink.end(this.rendering!.forbidden(reason));
  }

  /** The client completed it or its connection closed: nothing more is sent. */
  stop(): void {
    if (!this.over) this.finish();
  }

  private async replay(hub: StreamHub, after: string, render: RenderPayload): Promise<void> {
    let cursor = after;
    try {
      for (;;) {
        const page = await hub.read(this.spec.stream, cursor, this.position, REPLAY_PAGE);
        if (this.over) return;
        for (const event of page) {
          if (!this.spec.accept(event)) continue;
          const payload = render(event);
          this.payloadSize = payload.length + FRAME_OVERHEAD;
          this.sink!.write(payload);
        }
        if (page.length < REPLAY_PAGE) break;
        cursor = page[page.length - 1].seq;
        // The replay goes at the consumer's pace: the next page waits while it holds a queue's worth.
        await this.taken();
        if (this.over) return;
      }
    } catch (error) {
      if (this.over) return;
      this.tracker.replayFailed(this, error);
      this.finish();
      this.sink!.end(INTERNAL_ERROR);
      return;
    }
    // The replay reached the group's position: what arrived meanwhile goes out first.
    const backlog = this.backlog!;
    this.backlog = null;
    if (backlog.length > 0) this.push(backlog);
  }

  /** Resolves once the sink holds less than the queue bound (or the subscription ended). */
  private async taken(): Promise<void> {
    while (!this.over && this.sink!.bufferedAmount >= this.spec.queueLimit * this.payloadSize) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private overflow(queued: number): void {
    this.finish();
    this.sink!.close(
      HeraldCloseCode.SlowConsumer,
      `Too slow: ${queued} events waiting. Reconnect and resume with after = the last seq received.`,
    );
  }

  /**
   * graphql's createSourceEventStream accepts only an async iterable from a subscription field. A
   * live subscription is never iterated: its transport starts it with a sink (live-operation.ts).
   */
  [Symbol.asyncIterator](): AsyncIterator<never> {
    throw new Error('A live subscription is started with a sink (src/live/live-operation.ts), not iterated.');
  }

  private finish(): void {
    this.over = true;
    this.group?.leave(this);
    this.backlog = null;
    this.tracker.ended(this);
  }
}
