import { defineListener, type AnyListener } from '../../src/events/listener';

/**
 * The event the pipeline bench commits. No built-in listener handles it today, so its delivery
 * rows are exactly those of the bench's listeners (the bench checks that). Its context's
 * `requestId` carries the bench's key for the event, known before the commit.
 */
export const BENCH_EVENT = 'tenant.onboarding.completed' as const;

export const EFFECT_TABLE_SQL = `CREATE TABLE bench_effects (
  event_id uuid NOT NULL, listener varchar(100) NOT NULL, PRIMARY KEY (event_id, listener))`;

/**
 * Times, in this process's `performance.now()`, of each bench event's commit and of its
 * listeners starting and finishing; and how many events have had all their listeners finish.
 */
export class EffectRecorder {
  private commits = new Map<string, number>();
  private starts = new Map<string, number[]>();
  private finishes = new Map<string, number[]>();
  private done = 0;
  /** Handler runs started since the recorder was made (reruns after a failure included). */
  runsStarted = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly listenersPerEvent: number) {}

  /** Forgets everything recorded so far (between measured phases). */
  reset(): void {
    this.commits = new Map();
    this.starts = new Map();
    this.finishes = new Map();
    this.done = 0;
  }

  committed(key: string, at: number): void {
    this.commits.set(key, at);
  }

  started(key: string, at: number): void {
    this.runsStarted++;
    push(this.starts, key, at);
  }

  finished(key: string, at: number): void {
    if (push(this.finishes, key, at) < this.listenersPerEvent) return;
    this.done++;
    const ready = this.waiters.filter((w) => w.count <= this.done);
    this.waiters = this.waiters.filter((w) => w.count > this.done);
    for (const waiter of ready) waiter.resolve();
  }

  /** Resolves once `count` events have had all their listeners finish since the last reset. */
  eventsDone(count: number): Promise<void> {
    if (count <= this.done) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Commit → listener start, ms, for every listener run of every committed event (whose key passes `which`). */
  startDelays(which: (key: string) => boolean = () => true): number[] {
    return [...this.starts].filter(([key]) => which(key)).flatMap(([key, times]) => times.map((t) => t - this.commits.get(key)!));
  }

  /** Commit → the last of its listeners finished, ms, per event (whose key passes `which`). */
  completionDelays(which: (key: string) => boolean = () => true): number[] {
    return [...this.finishes]
      .filter(([key, times]) => which(key) && times.length >= this.listenersPerEvent)
      .map(([key, times]) => Math.max(...times) - this.commits.get(key)!);
  }
}

function push(map: Map<string, number[]>, key: string, value: number): number {
  const list = map.get(key);
  if (list) return list.push(value);
  map.set(key, [value]);
  return 1;
}

/**
 * `count` bench-only listeners on BENCH_EVENT. Each does a small database write keyed by the event
 * id (idempotent, like the audit listener) through `ctx.complete`, so the write and the delivery's
 * completion commit together.
 */
export function effectListeners(count: number, recorder: EffectRecorder): AnyListener[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `bench-effect-${i + 1}`;
    return defineListener({
      name,
      on: [BENCH_EVENT],
      async handle(event, ctx) {
        const key = event.context.requestId!;
        recorder.started(key, performance.now());
        await ctx.complete((tx) =>
          tx.manager.query(`INSERT INTO bench_effects (event_id, listener) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
            event.id,
            name,
          ]),
        );
        recorder.finished(key, performance.now());
      },
    });
  });
}
