import type { GraphQLFormattedError } from 'graphql';
import type { EventEnvelope } from '../events/envelope';
import { HeraldCloseCode } from './close-codes';
import { FanOut, WRITES_PER_TURN } from './fan-out';
import type { LiveSink } from './live-sink';
import { LiveSubscription, type LiveRendering, type LiveSpec, type LiveTracker } from './live-subscription';
import type { StreamHub, StreamListener } from './stream-hub';

/** A StreamHub stand-in: `emit` plays the reader; `stored` is what `read` finds. */
function fakeHub(stored: EventEnvelope[] = []) {
  const listeners = new Set<StreamListener>();
  let position = '0';
  const reads: string[] = [];
  let joins = 0;
  /** While set, reads wait for it: a replay stays in flight. */
  let gate: Promise<void> | null = null;
  let openGate = () => {};
  const hub = {
    async join(_key: string, listener: StreamListener) {
      joins++;
      listeners.add(listener);
      return { position, leave: () => listeners.delete(listener) };
    },
    async read(_key: string, after: string, upTo: string, limit: number) {
      reads.push(after);
      await gate;
      return stored.filter((e) => BigInt(e.seq) > BigInt(after) && BigInt(e.seq) <= BigInt(upTo)).slice(0, limit);
    },
  };
  return {
    hub: hub as unknown as StreamHub,
    listeners,
    reads,
    joins: () => joins,
    setPosition: (seq: string) => (position = seq),
    holdReads: () => {
      gate = new Promise((resolve) => (openGate = resolve));
    },
    releaseReads: () => {
      gate = null;
      openGate();
    },
    /** Hands the event over as the reader does; `await` it to let the group's delivery run. */
    emit: (event: EventEnvelope) => {
      for (const listener of listeners) listener(event);
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const event = (seq: number, name = 'tenant.updated'): EventEnvelope =>
  ({ id: `e${seq}`, seq: String(seq), name, tenantId: 't', actorId: null, payload: {}, occurredAt: '', subjectUserId: null, audienceTenantIds: [] }) as never;

/** A sink that records each payload written, how it ended or closed, with a settable backlog. */
function recordingSink(): LiveSink & {
  written: string[];
  /** Payloads per writeAll call: one call is one write to the operating system. */
  batches: number[];
  buffered: number;
  ended: (readonly GraphQLFormattedError[] | undefined)[];
  closed: { code: number; reason: string }[];
} {
  return {
    written: [],
    batches: [],
    buffered: 0,
    ended: [],
    closed: [],
    write(payload) {
      this.written.push(payload.toString());
    },
    writeAll(payloads) {
      this.batches.push(payloads.length);
      for (const payload of payloads) this.write(payload);
    },
    get bufferedAmount() {
      return this.buffered;
    },
    end(errors) {
      this.ended.push(errors);
    },
    close(code, reason) {
      this.closed.push({ code, reason });
    },
  };
}

/** Records what LiveEvents would be told. */
function recordingTracker(): LiveTracker & { endedCount: number; failures: unknown[] } {
  return {
    endedCount: 0,
    failures: [],
    ended() {
      this.endedCount++;
    },
    replayFailed(_subscription, error) {
      this.failures.push(error);
    },
  };
}

function subscription(overrides: Partial<LiveSpec> = {}, tracker: LiveTracker = recordingTracker()) {
  const spec: LiveSpec = {
    stream: 'tenant:t',
    after: null,
    accept: () => true,
    scope: 'all',
    queueLimit: 5,
    userId: 'u',
    tenantId: 't',
    needsSecurityRole: false,
    ...overrides,
  };
  return new LiveSubscription(spec, tracker);
}

const render = (e: EventEnvelope) => Buffer.from(JSON.stringify({ data: { seq: e.seq } }));
const rendered = (seq: number) => render(event(seq)).toString();
const rendering = (renderFn = render, operationKey = 'op'): LiveRendering => ({
  operationKey,
  render: renderFn,
  forbidden: (message) => [{ message, path: ['tenantEvents'], extensions: { code: 'FORBIDDEN' } }],
});
/** Polls `condition` every 10 ms until it holds; fails after 2 s. */
async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets the replay's reads and pages run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('LiveSubscription with FanOut', () => {
  it('renders each accepted event once per group and writes the same bytes to every member', async () => {
    const { hub, emit, listeners } = fakeHub();
    const fanOut = new FanOut(hub);
    const renderSpy = jest.fn(render);
    const sinks = [recordingSink(), recordingSink()];
    const all = [subscription(), subscription()];
    await all[0].start(fanOut, hub, rendering(renderSpy), sinks[0]);
    await all[1].start(fanOut, hub, rendering(renderSpy), sinks[1]);
    expect(fanOut.groupCount).toBe(1);

    await emit(event(1));
    await emit(event(2));
    expect(renderSpy).toHaveBeenCalledTimes(2);
    expect(sinks[0].written).toEqual([rendered(1), rendered(2)]);
    expect(sinks[1].written).toEqual(sinks[0].written);

    all[0].stop();
    all[1].stop();
    expect(fanOut.groupCount).toBe(0);
    expect(listeners.size).toBe(0);
  });

  it('keeps subscribers of different scopes apart', async () => {
    const { hub, emit } = fakeHub();
    const fanOut = new FanOut(hub);
    const seesAll = recordingSink();
    const seesCreated = recordingSink();
    await subscription({ scope: 'all' }).start(fanOut, hub, rendering(), seesAll);
    await subscription({ scope: 'created', accept: (e) => e.name === 'tenant.created' }).start(fanOut, hub, rendering(), seesCreated);
    await emit(event(1, 'tenant.updated'));
    await emit(event(2, 'tenant.created'));
    expect(fanOut.groupCount).toBe(2);
    expect(fanOut.renderCount).toBe(3);
    expect(seesAll.written).toHaveLength(2);
    expect(seesCreated.written).toEqual([rendered(2)]);
  });

  it('replays up to the group position through the same sink, holds live frames meanwhile, then sends them: no gap, no duplicate', async () => {
    const stored = [1, 2, 3, 4].map((seq) => event(seq));
    const fake = fakeHub(stored);
    const fanOut = new FanOut(fake.hub);
    const live = recordingSink();
    fake.setPosition('4');
    await subscription().start(fanOut, fake.hub, rendering(), live);

    const resumed = recordingSink();
    const resuming = subscription({ after: '1' });
    fake.holdReads();
    await resuming.start(fanOut, fake.hub, rendering(), resumed);
    await fake.emit(event(5)); // arrives while the replay reads its page
    await settle();
    expect(resumed.written).toEqual([]);
    fake.releaseReads();
    await settle();
    await fake.emit(event(6));
    // Replayed 2-4 (rendered by the same rendering), then the held 5, then 6 live.
    expect(resumed.written).toEqual([rendered(2), rendered(3), rendered(4), rendered(5), rendered(6)]);
    await fake.emit(event(7));
    expect(resumed.written).toHaveLength(6);
    expect(live.written).toEqual([rendered(5), rendered(6), rendered(7)]);
  });

  it('delivers nothing at or before the position it joined at, even if the stream hands it over', async () => {
    const fake = fakeHub();
    fake.setPosition('10');
    const sink = recordingSink();
    await subscription().start(new FanOut(fake.hub), fake.hub, rendering(), sink);
    await fake.emit(event(9));
    await fake.emit(event(10));
    await fake.emit(event(11));
    await fake.emit(event(11));
    expect(sink.written).toEqual([rendered(11)]);
  });

  it('a member joining while a large group is still being written to gets only what comes after its position', async () => {
    const fake = fakeHub();
    const fanOut = new FanOut(fake.hub);
    const early = Array.from({ length: WRITES_PER_TURN + 50 }, () => recordingSink());
    for (const sink of early) await subscription().start(fanOut, fake.hub, rendering(), sink);
    await fake.emit(event(1)); // more members than one turn writes to: the rest follow in the next turn
    expect(early.filter((sink) => sink.written.length === 1)).toHaveLength(WRITES_PER_TURN);
    const late = recordingSink();
    await subscription().start(fanOut, fake.hub, rendering(), late); // joins at position 1
    await fake.emit(event(2));
    await settle();
    expect(early.every((sink) => sink.written.join() === [rendered(1), rendered(2)].join())).toBe(true);
    expect(late.written).toEqual([rendered(2)]);
  });

  it('hands a member the events of one read together: one write for several events', async () => {
    const { hub, emit } = fakeHub();
    const sink = recordingSink();
    await subscription().start(new FanOut(hub), hub, rendering(), sink);
    void emit(event(1)); // the reader hands over a page of three in one go
    void emit(event(2));
    await emit(event(3));
    expect(sink.written).toEqual([rendered(1), rendered(2), rendered(3)]);
    expect(sink.batches).toEqual([3]);
    await emit(event(4));
    expect(sink.batches).toEqual([3, 1]);
  });

  it('a burst of more than queueLimit events to a consumer whose socket has taken everything goes out whole', async () => {
    const { hub, emit } = fakeHub();
    const sink = recordingSink();
    await subscription({ queueLimit: 5 }).start(new FanOut(hub), hub, rendering(), sink);
    for (let seq = 1; seq < 8; seq++) void emit(event(seq));
    await emit(event(8));
    expect(sink.closed).toEqual([]);
    expect(sink.batches).toEqual([8]);
  });

  it('closes the connection of a subscriber whose socket holds queueLimit events, and leaves the others alone', async () => {
    const { hub, emit } = fakeHub();
    const fanOut = new FanOut(hub);
    const slow = recordingSink();
    const fast = recordingSink();
    const tracker = recordingTracker();
    await subscription({}, tracker).start(fanOut, hub, rendering(), slow);
    await subscription().start(fanOut, hub, rendering(), fast);
    await emit(event(1));
    slow.buffered = 5 * (render(event(2)).length + 40);
    await emit(event(2));
    expect(slow.closed).toEqual([{ code: HeraldCloseCode.SlowConsumer, reason: expect.stringMatching(/^Too slow: 6 events waiting/) }]);
    expect(tracker.endedCount).toBe(1);
    await emit(event(3));
    expect(slow.written).toHaveLength(1);
    expect(fast.written).toHaveLength(3);
  });

  it('closes a replaying subscriber whose held live frames pass queueLimit', async () => {
    const fake = fakeHub([event(1), event(2)]);
    fake.setPosition('2');
    const sink = recordingSink();
    const replaying = subscription({ after: '0' });
    fake.holdReads();
    await replaying.start(new FanOut(fake.hub), fake.hub, rendering(), sink);
    for (let seq = 3; seq <= 9; seq++) await fake.emit(event(seq));
    fake.releaseReads();
    expect(sink.closed).toEqual([{ code: HeraldCloseCode.SlowConsumer, reason: expect.stringMatching(/^Too slow: 6 events waiting/) }]);
    await settle();
    expect(sink.written).toEqual([]); // the replay that was under way sends nothing after the close
  });

  it('paces its replay to the consumer: the next page waits while the sink holds a queue', async () => {
    const stored = Array.from({ length: 450 }, (_, i) => event(i + 1));
    const fake = fakeHub(stored);
    fake.setPosition('450');
    const sink = recordingSink();
    sink.buffered = 10 * 1024 * 1024; // the consumer is not reading
    const replaying = subscription({ after: '0' });
    await replaying.start(new FanOut(fake.hub), fake.hub, rendering(), sink);
    await settle();
    expect(sink.written).toHaveLength(200); // one page, then it waits
    sink.buffered = 0;
    // The replay looks at the sink again on a timer: wait for the rest, with a deadline (2 s).
    for (let i = 0; i < 200 && sink.written.length < 450; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sink.written).toHaveLength(450);
    expect(fake.reads).toEqual(['0', '200', '400']);
  });

  it('is revoked with FORBIDDEN through its sink at once, and nothing more is written', async () => {
    const { hub, emit } = fakeHub();
    const sink = recordingSink();
    const tracker = recordingTracker();
    const live = subscription({}, tracker);
    await live.start(new FanOut(hub), hub, rendering(), sink);
    await emit(event(1));
    live.revoke('gone');
    expect(sink.ended).toEqual([[{ message: 'gone', path: ['tenantEvents'], extensions: { code: 'FORBIDDEN' } }]]);
    expect(tracker.endedCount).toBe(1);
    await emit(event(2));
    live.revoke('again');
    expect(sink.written).toEqual([rendered(1)]);
    expect(sink.ended).toHaveLength(1);
  });

  it('revoked before it started (while it was authorised): ends as it starts, without joining a group', async () => {
    const { hub, listeners } = fakeHub();
    const fanOut = new FanOut(hub);
    const sink = recordingSink();
    const early = subscription();
    early.revoke('removed meanwhile');
    await early.start(fanOut, hub, rendering(), sink);
    expect(sink.ended).toEqual([[expect.objectContaining({ message: 'removed meanwhile' })]]);
    expect(fanOut.groupCount).toBe(0);
    expect(listeners.size).toBe(0);
  });

  it('stopped while its group opens: never joins it', async () => {
    const { hub, emit } = fakeHub();
    const fanOut = new FanOut(hub);
    const sink = recordingSink();
    const stopped = subscription();
    const starting = stopped.start(fanOut, hub, rendering(), sink);
    stopped.stop();
    await starting;
    await emit(event(1));
    expect(sink.written).toEqual([]);
    expect(fanOut.groupCount).toBe(0);
  });

  it('ends with an internal error (and tells the tracker) when its replay cannot be read', async () => {
    const fake = fakeHub();
    fake.setPosition('5');
    (fake.hub as unknown as { read: () => Promise<never> }).read = async () => {
      throw new Error('database down');
    };
    const sink = recordingSink();
    const tracker = recordingTracker();
    await subscription({ after: '1' }, tracker).start(new FanOut(fake.hub), fake.hub, rendering(), sink);
    await settle();
    expect(sink.ended).toEqual([[{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]]);
    expect(tracker.failures).toEqual([new Error('database down')]);
    expect(JSON.stringify(sink.ended)).not.toContain('database down');
  });

  it('opens no group for a subscription stopped before it starts', async () => {
    const fake = fakeHub();
    const fanOut = new FanOut(fake.hub);
    const stopped = subscription();
    stopped.stop();
    await stopped.start(fanOut, fake.hub, rendering(), recordingSink());
    expect(fake.joins()).toBe(0);
    expect(fanOut.groupCount).toBe(0);
  });

  it('reads nothing from the store when it resumes at or after the position it joins at', async () => {
    const fake = fakeHub([event(1), event(2)]);
    fake.setPosition('2');
    const fanOut = new FanOut(fake.hub);
    const atPosition = recordingSink();
    const ahead = recordingSink();
    await subscription({ after: '2' }).start(fanOut, fake.hub, rendering(), atPosition);
    await subscription({ after: '3' }).start(fanOut, fake.hub, rendering(), ahead);
    await settle();
    expect(fake.reads).toEqual([]);
    await fake.emit(event(3));
    expect(atPosition.written).toEqual([rendered(3)]);
    expect(ahead.written).toEqual([rendered(3)]);
  });

  it('tells the tracker it ended once, however often it is stopped or revoked', async () => {
    const { hub } = fakeHub();
    const tracker = recordingTracker();
    const live = subscription({}, tracker);
    await live.start(new FanOut(hub), hub, rendering(), recordingSink());
    live.stop();
    live.stop();
    live.revoke('late');
    expect(tracker.endedCount).toBe(1);
  });

  it('replays only the stored events it accepts', async () => {
    const fake = fakeHub([event(1, 'tenant.created'), event(2, 'tenant.updated'), event(3, 'tenant.created')]);
    fake.setPosition('3');
    const sink = recordingSink();
    await subscription({ after: '0', scope: 'created', accept: (e) => e.name === 'tenant.created' }).start(
      new FanOut(fake.hub),
      fake.hub,
      rendering(),
      sink,
    );
    await settle();
    expect(sink.written).toEqual([rendered(1), rendered(3)]);
  });

  it('waits for the consumer while its socket holds exactly a queue, and goes on while it holds less', async () => {
    const stored = Array.from({ length: 450 }, (_, i) => event(i + 1));
    const payloadSize = rendered(200).length + 40; // the size of the page's last frame, as the bound counts it
    const full = fakeHub(stored);
    full.setPosition('450');
    const atBound = recordingSink();
    atBound.buffered = 5 * payloadSize;
    const waiting = subscription({ after: '0', queueLimit: 5 });
    await waiting.start(new FanOut(full.hub), full.hub, rendering(), atBound);
    await settle();
    expect(atBound.written).toHaveLength(200);
    waiting.stop();

    const below = fakeHub(stored);
    below.setPosition('450');
    const belowBound = recordingSink();
    belowBound.buffered = 5 * payloadSize - 1;
    await subscription({ after: '0', queueLimit: 5 }).start(new FanOut(below.hub), below.hub, rendering(), belowBound);
    await waitUntil(() => belowBound.written.length === 450, 'the whole replay to a consumer below the bound');
    expect(below.reads).toEqual(['0', '200', '400']);
  });

  describe('stopped while its replay is under way', () => {
    afterEach(() => jest.useRealTimers());

    it('reads no further page once it is stopped while it waits for the consumer', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'queueMicrotask', 'nextTick'] });
      const fake = fakeHub(Array.from({ length: 450 }, (_, i) => event(i + 1)));
      fake.setPosition('450');
      const sink = recordingSink();
      sink.buffered = 10 * 1024 * 1024;
      const replaying = subscription({ after: '0' });
      await replaying.start(new FanOut(fake.hub), fake.hub, rendering(), sink);
      await settle();
      expect(sink.written).toHaveLength(200);
      replaying.stop();
      sink.buffered = 0;
      jest.advanceTimersByTime(100); // the replay looks at the sink again, and finds it stopped
      await settle();
      expect(fake.reads).toEqual(['0']);
      expect(sink.written).toHaveLength(200);
    });

    it('neither reports nor ends with an error when its read then fails', async () => {
      const fake = fakeHub();
      fake.setPosition('5');
      let failRead: (error: Error) => void = () => undefined;
      (fake.hub as unknown as { read: () => Promise<never> }).read = () => new Promise((_, reject) => (failRead = reject));
      const sink = recordingSink();
      const tracker = recordingTracker();
      const replaying = subscription({ after: '1' }, tracker);
      await replaying.start(new FanOut(fake.hub), fake.hub, rendering(), sink);
      replaying.stop();
      failRead(new Error('database down'));
      await settle();
      expect(tracker.failures).toEqual([]);
      expect(sink.ended).toEqual([]);
    });
  });

  it('cannot be iterated: it is started with a sink', () => {
    expect(() => subscription()[Symbol.asyncIterator]()).toThrow(/started with a sink/);
  });
});
