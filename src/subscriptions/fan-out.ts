import type { EventEnvelope } from '../events/envelope';
import type { StreamHub } from './stream-hub';
import type { StreamKey } from './streams';

/** Renders an event once for a whole group: the `payload` of its `next` message, as JSON bytes. */
export type RenderPayload = (event: EventEnvelope) => Buffer;

/** A subscriber in a group: receives the group's shared payloads in seq order. */
export interface GroupMember {
  deliver(payload: Buffer): void;
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

/** Subscribers that see and render the same events, and their one stream listener. */
export class FanOutGroup {
  readonly members = new Set<GroupMember>();
  /** The seq of the last event of the stream the group was handed (accepted or not). */
  position = '0';
  closed = false;
  leaveStream: () => void = () => undefined;
  /** The group's entry in FanOut's map while it is open. */
  opening: Promise<FanOutGroup> | null = null;

  constructor(
    readonly spec: GroupSpec,
    private readonly fanOut: { counters: { renders: number }; closed(group: FanOutGroup): void },
  ) {}

  onEvent(event: EventEnvelope): void {
    // Only events after the group's position: members replay up to it, so anything at or before it
    // would reach them twice. (StreamReader no longer reads before its starting position; this
    // keeps the promise local to the group.)
    if (!isAfter(event.seq, this.position)) return;
    this.position = event.seq;
    if (!this.spec.accept(event)) return;
    const payload = this.spec.render(event);
    this.fanOut.counters.renders++;
    for (const member of this.members) member.deliver(payload);
  }

  /**
   * Removes a member (again is harmless); the last one out closes the group. A method rather than
   * a closure per member: a member keeps only a reference to its group.
   */
  leave(member: GroupMember): void {
    if (!this.members.delete(member)) return;
    if (this.members.size === 0 && !this.closed) {
      this.closed = true;
      this.fanOut.closed(this);
      this.leaveStream();
    }
  }
}

/**
 * Live delivery by group: every local subscription with the same group key shares one stream
 * listener, one filter call and one rendering per event; members get the same bytes.
 */
export class FanOut {
  private readonly groups = new Map<string, Promise<FanOutGroup>>();
  readonly counters = { renders: 0 };

  constructor(private readonly hub: StreamHub) {}

  /**
   * Adds `member` to its group (opened on the first member). It receives every accepted event
   * committed after the returned `position`. Call `group.leave(member)` to stop.
   */
  async join(spec: GroupSpec, member: GroupMember): Promise<{ position: string; group: FanOutGroup }> {
    let opening = this.groups.get(spec.key);
    if (!opening) {
      const group = new FanOutGroup(spec, this);
      opening = this.hub.join(spec.stream, (event) => group.onEvent(event)).then(({ position, leave }) => {
        group.position = position;
        group.leaveStream = leave;
        return group;
      });
      group.opening = opening;
      this.groups.set(spec.key, opening);
      const failed = opening;
      failed.catch(() => {
        if (this.groups.get(spec.key) === failed) this.groups.delete(spec.key);
      });
    }
    const group = await opening;
    // The last member left while this one waited for the group to open: open a new one.
    if (group.closed) return this.join(spec, member);
    group.members.add(member);
    return { position: group.position, group };
  }

  /** A group's last member left: a later join opens a new one. */
  closed(group: FanOutGroup): void {
    if (this.groups.get(group.spec.key) === group.opening) this.groups.delete(group.spec.key);
  }

  /** Groups open now. */
  get groupCount(): number {
    return this.groups.size;
  }

  /** Events rendered for a group since start: one per accepted event per group, not per subscriber. */
  get renderCount(): number {
    return this.counters.renders;
  }
}

/** a > b for seqs (decimal strings without leading zeros), without parsing them. */
function isAfter(a: string, b: string): boolean {
  return a.length > b.length || (a.length === b.length && a > b);
}
