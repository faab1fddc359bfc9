import type { EventEnvelope } from '../events/envelope';
import { FanOut } from './fan-out';
import { LiveSubscription, type FrameOutput, type LiveSubscriptionOptions } from './live-subscription';
import type { StreamHub, StreamListener } from './stream-hub';

/** A StreamHub stand-in: `emit` plays the reader; `stored` is what `read` finds. */
function fakeHub(stored: EventEnvelope[] = []) {
  const listeners = new Set<StreamListener>();
  let position = '0';
  const hub = {
    async join(_key: string, listener: StreamListener) {
      listeners.add(listener);
      return { position, leave: () => listeners.delete(listener) };
    },
    async read(_key: string, after: string, upTo: string | null, limit: number) {
      return stored
        .filter((e) => BigInt(e.seq) > BigInt(after) && (upTo === null || BigInt(e.seq) <= BigInt(upTo)))
        .slice(0, limit);
    },
  };
  return {
    hub: hub as unknown as StreamHub,
    listeners,
    setPosition: (seq: string) => (position = seq),
    emit: (event: EventEnvelope) => {
      for (const listener of listeners) listener(event);
    },
  };
}

const event = (seq: number, name = 'tenant.updated'): EventEnvelope =>
  ({ id: `e${seq}`, seq: String(seq), name, tenantId: 't', actorId: null, payload: {}, occurredAt: '', subjectUserId: null, audienceTenantIds: [] }) as never;

/** An output that records each payload written, with a settable backlog. */
function recordingOutput(): FrameOutput & { written: string[]; buffered: number } {
  return {
    written: [],
    buffered: 0,
    write(payload) {
      this.written.push(payload.toString());
    },
    get bufferedAmount() {
      return this.buffered;
    },
  };
}

/** Reports the end and the overflow to jest functions, where LiveEvents' subclass acts on them. */
class ProbedSubscription extends LiveSubscription {
  constructor(
    hub: StreamHub,
    options: LiveSubscriptionOptions,
    private readonly probes: { onOverflow?: (queued: number) => void; onEnd?: () => void },
  ) {
    super(hub, options);
  }

  protected override ended(): void {
    this.probes.onEnd?.();
  }

  protected override overflowed(queued: number): void {
    this.probes.onOverflow?.(queued);
  }
}

function subscription(
  hub: StreamHub,
  options: Partial<LiveSubscriptionOptions> & { onOverflow?: (queued: number) => void; onEnd?: () => void } = {},
) {
  const { onOverflow, onEnd, ...overrides } = options;
  return new ProbedSubscription(
    hub,
    { stream: 'tenant:t', after: null, accept: () => true, scope: 'all', queueLimit: 5, ...overrides },
    { onOverflow, onEnd },
  );
}

const render = (e: EventEnvelope) => Buffer.from(JSON.stringify({ data: { seq: e.seq } }));

describe('LiveSubscription with FanOut', () => {
  it('renders each accepted event once per group and writes the same bytes to every member', async () => {
    const { hub, emit, listeners } = fakeHub();
    const fanOut = new FanOut(hub);
    const renderSpy = jest.fn(render);
    const outputs = [recordingOutput(), recordingOutput()];
    const all = [subscription(hub), subscription(hub)];
    await all[0].start(fanOut, { operationKey: 'op', render: renderSpy, output: outputs[0] });
    await all[1].start(fanOut, { operationKey: 'op', render: renderSpy, output: outputs[1] });
    expect(fanOut.groupCount).toBe(1);

    emit(event(1));
    emit(event(2));
    expect(renderSpy).toHaveBeenCalledTimes(2);
    expect(outputs[0].written).toEqual([render(event(1)).toString(), render(event(2)).toString()]);
    expect(outputs[1].written).toEqual(outputs[0].written);

    await all[0].return();
    await all[1].return();
    expect(fanOut.groupCount).toBe(0);
    expect(listeners.size).toBe(0);
  });

  it('keeps subscribers of different scopes apart', async () => {
    const { hub, emit } = fakeHub();
    const fanOut = new FanOut(hub);
    const seesAll = recordingOutput();
    const seesCreated = recordingOutput();
    await subscription(hub, { scope: 'all' }).start(fanOut, { operationKey: 'op', render, output: seesAll });
    await subscription(hub, { scope: 'created', accept: (e) => e.name === 'tenant.created' }).start(fanOut, {
      operationKey: 'op',
      render,
      output: seesCreated,
    });
    emit(event(1, 'tenant.updated'));
    emit(event(2, 'tenant.created'));
    expect(fanOut.groupCount).toBe(2);
    expect(fanOut.renderCount).toBe(3);
    expect(seesAll.written).toHaveLength(2);
    expect(seesCreated.written).toEqual([render(event(2)).toString()]);
  });

  it('replays up to the group position, holds live frames meanwhile, then sends them: no gap, no duplicate', async () => {
    const stored = [1, 2, 3, 4].map((seq) => event(seq));
    const fake = fakeHub(stored);
    const fanOut = new FanOut(fake.hub);
    const live = recordingOutput();
    fake.setPosition('4');
    await subscription(fake.hub).start(fanOut, { operationKey: 'op', render, output: live });

    const resumed = recordingOutput();
    const resuming = subscription(fake.hub, { after: '1' });
    await resuming.start(fanOut, { operationKey: 'op', render, output: resumed });
    fake.emit(event(5)); // arrives while the replay has not begun
    const replayed: string[] = [];
    for (let i = 0; i < 3; i++) replayed.push(((await resuming.next()).value as EventEnvelope).seq);
    fake.emit(event(6));
    expect(resumed.written).toEqual([]); // nothing live before the replay is over
    const pending = resuming.next(); // the replay is over: the held frames go out, then it waits
    expect(replayed).toEqual(['2', '3', '4']);
    expect(resumed.written).toEqual([render(event(5)).toString(), render(event(6)).toString()]);
    fake.emit(event(7));
    expect(resumed.written).toHaveLength(3);
    expect(live.written).toHaveLength(3);
    resuming.revoke('gone');
    expect(await pending).toEqual({ value: { revoked: 'gone' }, done: false });
    expect((await resuming.next()).done).toBe(true);
  });

  it('delivers nothing at or before the position it joined at, even if the stream hands it over', async () => {
    const fake = fakeHub();
    fake.setPosition('10');
    const output = recordingOutput();
    await subscription(fake.hub).start(new FanOut(fake.hub), { operationKey: 'op', render, output });
    fake.emit(event(9));
    fake.emit(event(10));
    fake.emit(event(11));
    fake.emit(event(11));
    expect(output.written).toEqual([render(event(11)).toString()]);
  });

  it('ends a subscriber whose socket holds queueLimit events, and leaves the others alone', async () => {
    const { hub, emit } = fakeHub();
    const fanOut = new FanOut(hub);
    const slow = recordingOutput();
    const fast = recordingOutput();
    const onOverflow = jest.fn();
    const onEnd = jest.fn();
    await subscription(hub, { onOverflow, onEnd }).start(fanOut, { operationKey: 'op', render, output: slow });
    await subscription(hub).start(fanOut, { operationKey: 'op', render, output: fast });
    emit(event(1));
    slow.buffered = 5 * (render(event(2)).length + 40);
    emit(event(2));
    expect(onOverflow).toHaveBeenCalledWith(6);
    expect(onEnd).toHaveBeenCalledTimes(1);
    emit(event(3));
    expect(slow.written).toHaveLength(1);
    expect(fast.written).toHaveLength(3);
  });

  it('ends a replaying subscriber whose held live frames pass queueLimit', async () => {
    const fake = fakeHub([event(1), event(2)]);
    fake.setPosition('2');
    const onOverflow = jest.fn();
    const replaying = subscription(fake.hub, { after: '0', onOverflow });
    await replaying.start(new FanOut(fake.hub), { operationKey: 'op', render, output: recordingOutput() });
    for (let seq = 3; seq <= 9; seq++) fake.emit(event(seq));
    expect(onOverflow).toHaveBeenCalledWith(6);
    expect((await replaying.next()).done).toBe(true);
  });

  it('parks while live instead of a pending next, and wakes for its revocation', async () => {
    const { hub } = fakeHub();
    const live = subscription(hub);
    await live.start(new FanOut(hub), { operationKey: 'op', render, output: recordingOutput() });
    const wake = jest.fn();
    expect(live.park(wake)).toBe(true);
    expect(wake).not.toHaveBeenCalled();
    live.revoke('gone');
    expect(wake).toHaveBeenCalledTimes(1);
    expect(live.park(jest.fn())).toBe(false); // the notice is to be pulled
    expect(await live.next()).toEqual({ value: { revoked: 'gone' }, done: false });
    expect((await live.next()).done).toBe(true);
  });

  it('does not park while it replays', async () => {
    const fake = fakeHub([event(1)]);
    fake.setPosition('1');
    const replaying = subscription(fake.hub, { after: '0' });
    await replaying.start(new FanOut(fake.hub), { operationKey: 'op', render, output: recordingOutput() });
    expect(replaying.park(jest.fn())).toBe(false);
    expect(((await replaying.next()).value as EventEnvelope).seq).toBe('1');
  });
});
