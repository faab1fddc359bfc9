import type { EventEnvelope } from '../events/envelope';
import { compareSeq } from '../events/event-store';
import type { StreamKey } from '../events/streams';
import type { StreamHub } from './stream-hub';

/** Renders an event once for a whole group: the `payload` of its `next` message, as JSON bytes. */
export type RenderPayload = (event: EventEnvelope) => Buffer;

/** An accepted event rendered once for its group. */
export interface Rendered {
  readonly seq: string;
  readonly payload: Buffer;
}

/** A subscriber in a group: receives the group's shared payloads in seq order. */
export interface GroupMember {
  /** The group's position when it joined: it gets only events after it (its replay covers the rest). */
  readonly joinedAt: string;
  /** The next events of the group, in seq order (those at or before `joinedAt` are its to skip). */
  deliver(events: readonly Rendered[]): void;
}

/** What makes subscriptions interchangeable: same stream, same filter, same rendering. */
export interface GroupSpec {
  /**
   * Equal for subscriptions that see and render the same events: the stream, the access scope and
   * the operation (document, operation name, variables). Subscriptions share a group only by key.
   */
  key: string;
  stream: StreamKey;
  accept: (event: EventEnvelope) => boolean;
  render: RenderPayload;
}

/**
 * Messages written per turn of the event loop. One event's delivery to thousands of sockets is a
 * burst of writes (~20 µs each); between turns the loop runs what I/O is ready (the next commit's
 * answer, a pub/sub wake-up, a store read), which would otherwise wait for the whole burst.
 * Measured in docs/PERFORMANCE.md ("What moved the p99").
 */
export const WRITES_PER_TURN = 200;

/**
 * Subscribers that see and render the same events, and their one stream listener. Events are
 * queued as they come and delivered in order, WRITES_PER_TURN messages per turn.
 */
export class FanOutGroup {
  private readonly members = new Set<GroupMember>();
  /** The seq of the last event of the stream the group was handed (accepted or not); null until it opened. */
  private position: string | null = null;
  private leaveStream: () => void = () => undefined;
  private closed = false;
  private readonly queue: Rendered[] = [];
  private delivering = false;
  /** The pass under way: the events it hands out, and the members still to get them. */
  private pass: { events: Rendered[]; members: Iterator<GroupMember> } | null = null;

  constructor(
    readonly spec: GroupSpec,
    private readonly fanOut: FanOut,
  ) {}

  /**
   * The stream accepted the group's listener: what it hands over from now on is after `position`.
   * An event it handed over before this ran is after `position` too, and then stays the position.
   */
  opened(joined: { position: string; leave: () => void }): void {
    this.position ??= joined.position;
    this.leaveStream = joined.leave;
  }

  /** The stream's next event (the group's StreamListener). */
  onEvent(event: EventEnvelope): void {
    // Only events after the group's position: members replay up to it, so anything at or before it
    // would reach them twice.
    if (this.closed || (this.position !== null && compareSeq(event.seq, this.position) <= 0)) return;
    this.position = event.seq;
    if (!this.spec.accept(event)) return;
    this.queue.push({ seq: event.seq, payload: this.spec.render(event) });
    this.fanOut.rendered();
    if (!this.delivering) {
      this.delivering = true;
      // After the reader has handed over the rest of its page: they go out in the same pass.
      queueMicrotask(() => this.deliverQueued());
    }
  }

  /** Adds a member, which receives every accepted event after the returned position. */
  join(member: GroupMember): void {
    this.members.add(member);
  }

  /** The position a member joining now starts after (once the group opened). */
  get joinPosition(): string {
    return this.position!;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Removes a member (again is harmless); the last one out closes the group. */
  leave(member: GroupMember): void {
    if (this.members.delete(member)) this.closeIfEmpty();
  }

  /** Closes the group if no one is in it (one that opened it ended before joining). */
  closeIfEmpty(): void {
    if (this.members.size === 0 && !this.closed) {
      this.closed = true;
      this.queue.length = 0;
      this.pass = null;
      this.fanOut.closed(this);
      this.leaveStream();
    }
  }

  /**
   * Writes the queued events to the members, a turn at a time. A pass hands every member all the
   * events queued when it began, together: a member behind by several events gets them in one
   * write to its socket (corked), which is what lets a group that fell behind catch up. Events that
   * arrive during a pass wait for the next one, so each member still gets them in seq order.
   */
  private deliverQueued(): void {
    let budget = WRITES_PER_TURN;
    while (!this.closed) {
      if (!this.pass) {
        if (this.queue.length === 0) break;
        this.pass = { events: this.queue.splice(0), members: this.members.values() };
      }
      // A Set iterator visits members added meanwhile (their joinedAt skips what they replay) and skips removed ones.
      const { events, members } = this.pass;
      for (let next = members.next(); !next.done; next = members.next()) {
        next.value.deliver(events); // a member may leave here (too slow), the last one closing the group
        budget -= events.length;
        if (budget <= 0 && !this.closed) {
          setImmediate(() => this.deliverQueued());
          return;
        }
      }
      this.pass = null;
    }
    this.delivering = false;
  }
}

/**
 * Live delivery by group: every local subscription with the same group key shares one stream
 * listener, one filter call and one rendering per event; members get the same bytes.
 */
export class FanOut {
  private readonly groups = new Map<string, Promise<FanOutGroup>>();
  /** Each group's entry in `groups`, to remove only its own when it closes. */
  private readonly entries = new WeakMap<FanOutGroup, Promise<FanOutGroup>>();
  private renders = 0;

  constructor(private readonly hub: StreamHub) {}

  /**
   * The open group of `spec.key` (opened for the first member). Join it in the same turn as this
   * resolves: `group.joinPosition` is then the position the member starts after.
   */
  async groupOf(spec: GroupSpec): Promise<FanOutGroup> {
    let opening = this.groups.get(spec.key);
    if (!opening) {
      const group = new FanOutGroup(spec, this);
      opening = this.hub.join(spec.stream, (event) => group.onEvent(event)).then((joined) => {
        group.opened(joined);
        return group;
      });
      this.entries.set(group, opening);
      this.groups.set(spec.key, opening);
      const failed = opening;
      failed.catch(() => {
        if (this.groups.get(spec.key) === failed) this.groups.delete(spec.key);
      });
    }
    const group = await opening;
    // The last member left while this one waited for the group to open: open a new one.
    return group.isClosed ? this.groupOf(spec) : group;
  }

  /** A group's last member left: a later join opens a new one. */
  closed(group: FanOutGroup): void {
    if (this.groups.get(group.spec.key) === this.entries.get(group)) this.groups.delete(group.spec.key);
  }

  rendered(): void {
    this.renders++;
  }

  /** Groups open now. */
  get groupCount(): number {
    return this.groups.size;
  }

  /** Events rendered for a group since start: one per accepted event per group, not per subscriber. */
  get renderCount(): number {
    return this.renders;
  }
}
