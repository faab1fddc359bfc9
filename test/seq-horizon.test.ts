import type { DataSource, QueryRunner } from 'typeorm';
import { createDataSource, migrate } from '../src/db/data-source';
import type { EventEnvelope, NewEvent } from '../src/events/envelope';
import { EventPublisher } from '../src/events/event-publisher';
import { EventStore } from '../src/events/event-store';
import { createEventBus, type EventBus } from '../src/events/pubsub';
import { SeqHorizon } from '../src/events/seq-horizon';
import { Transactions } from '../src/events/transactions';
import { createLogger } from '../src/logger';
import { StreamHub } from '../src/live/stream-hub';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitFor, within } from './support/wait';

/**
 * seq is drawn at insert, so transactions commit out of seq order; readers stay below the safe
 * horizon. Real concurrent transactions on real PostgreSQL, a StreamHub subscriber on top.
 */
let db: TestDatabase;
let dataSource: DataSource;
let bus: EventBus;
let publisher: EventPublisher;
let transactions: Transactions;
const logger = createLogger('silent');
const store = new EventStore(() => []);
const context = { requestId: 'req-horizon', ip: '127.0.0.1', userAgent: 'jest' };

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = createDataSource(db.url, { embedded: false, applicationName: 'herald-test:seq-horizon' });
  await dataSource.initialize();
  await migrate(dataSource, false);
  bus = createEventBus({ prefix: 'herald-test-horizon:', logger }); // in-process
  publisher = new EventPublisher(dataSource, bus, logger);
  transactions = new Transactions(dataSource, store, (events) => publisher.committed(events));
});
afterAll(async () => {
  await publisher.stop();
  await bus.close();
  await dataSource.destroy();
  await db.drop();
});

function deleted(tenantId: string): NewEvent {
  return { name: 'tenant.deleted', tenantId, actorId: null, context, payload: { tenantId, slug: 's' } };
}

/** Appends one event in a transaction left open; the caller commits or rolls it back. */
async function appendAndHoldOpen(tenantId: string): Promise<{ event: EventEnvelope; runner: QueryRunner }> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  const [event] = await store.append(runner.manager, [deleted(tenantId)]);
  return { event, runner };
}

async function commitOne(tenantId: string): Promise<EventEnvelope> {
  let committed: EventEnvelope[] = [];
  await dataSource.transaction(async (manager) => {
    committed = await store.append(manager, [deleted(tenantId)]);
  });
  publisher.committed(committed); // wakes the stream readers, as Transactions.run does
  return committed[0];
}

async function joinTenant(hub: StreamHub, tenantId: string): Promise<{ received: string[]; leave: () => void }> {
  const received: string[] = [];
  const { leave } = await hub.join(`tenant:${tenantId}`, (event) => received.push(event.seq));
  return { received, leave };
}

it('does not move past an open transaction\'s seq, and delivers both in seq order once it commits', async () => {
  const tenantId = crypto.randomUUID();
  const hub = new StreamHub(dataSource, bus, logger, 100, new SeqHorizon(dataSource, { maxWaitMs: 300 }));
  const subscriber = await joinTenant(hub, tenantId);
  const held = await appendAndHoldOpen(tenantId);
  const later = await commitOne(tenantId);
  expect(BigInt(later.seq)).toBeGreaterThan(BigInt(held.event.seq));

  // The later one is committed and visible, but below it an event may still commit: not yet.
  const [{ visible }] = await db.query<{ visible: string }>(`SELECT count(*) AS visible FROM events WHERE tenant_id = $1`, [tenantId]);
  expect(Number(visible)).toBe(1);
  expect(await hub.read(`tenant:${tenantId}`, '0', await hub.horizon.next(), 10)).toEqual([]);
  expect(BigInt(await hub.horizon.next())).toBeLessThan(BigInt(held.event.seq));
  expect(subscriber.received).toEqual([]);
  // A horizon that has none to fall back on fails rather than answer 0 (a start from scratch).
  await expect(new SeqHorizon(dataSource, { maxWaitMs: 100 }).next()).rejects.toThrow(/no safe horizon yet/);

  // A horizon asked for while the transaction is open answers as soon as it commits.
  const waiting = new SeqHorizon(dataSource).next();
  await held.runner.commitTransaction();
  await held.runner.release();
  expect(BigInt(await waiting)).toBeGreaterThanOrEqual(BigInt(later.seq));
  publisher.committed([held.event]);
  await waitFor(() => subscriber.received.length >= 2, { what: 'both events' });
  expect(subscriber.received).toEqual([held.event.seq, later.seq]);
  subscriber.leave();
  await hub.close();
});

it('a rolled-back append leaves a gap, not a stall', async () => {
  const tenantId = crypto.randomUUID();
  const hub = new StreamHub(dataSource, bus, logger, 100);
  const subscriber = await joinTenant(hub, tenantId);
  const held = await appendAndHoldOpen(tenantId);
  const later = await commitOne(tenantId);
  const waiting = hub.horizon.next();
  await held.runner.rollbackTransaction();
  await held.runner.release();
  // A stall would never pass the rolled-back seq: the deadline only bounds the failure.
  expect(BigInt(await within(waiting, 10_000, 'the horizon to pass the rolled-back seq'))).toBeGreaterThanOrEqual(BigInt(later.seq));
  await waitFor(() => subscriber.received.length >= 1, { what: 'the committed event' });
  expect(subscriber.received).toEqual([later.seq]);
  subscriber.leave();
  await hub.close();
});

it('many concurrent committers: a subscriber sees every event once, in seq order', async () => {
  const tenantId = crypto.randomUUID();
  const hub = new StreamHub(dataSource, bus, logger, 200);
  const subscriber = await joinTenant(hub, tenantId);
  const committer = async () => {
    for (let i = 0; i < 25; i++) {
      await transactions.run({ actorId: null, tenantId, context }, async (tx) => {
        tx.record('tenant.deleted', { tenantId, slug: 's' });
        // Hold some transactions open a moment after their insert, so commits overtake seqs.
        if (Math.random() < 0.5) await tx.manager.query('SELECT pg_sleep($1)', [Math.random() * 0.004]);
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, committer));
  const stored = (await db.query<{ seq: string }>(`SELECT seq::text AS seq FROM events WHERE tenant_id = $1 ORDER BY events.seq`, [tenantId])).map(
    (row) => row.seq,
  );
  expect(stored).toHaveLength(200);
  await waitFor(() => subscriber.received.length >= 200, { what: '200 events', timeoutMs: 15_000 });
  expect(subscriber.received).toEqual(stored);
  subscriber.leave();
  await hub.close();
});

it('shares one computation among readers that ask at the same time, each getting one read after it asked', async () => {
  const tenantId = crypto.randomUUID();
  const horizon = new SeqHorizon(dataSource);
  const first = horizon.next();
  const committed = await commitOne(tenantId); // after `first` may have read the sequence
  const asked = Array.from({ length: 20 }, () => horizon.next());
  const answers = await Promise.all(asked);
  expect(new Set(answers).size).toBe(1); // the twenty shared one computation
  expect(BigInt(answers[0])).toBeGreaterThanOrEqual(BigInt(committed.seq));
  expect(BigInt(await first)).toBeLessThanOrEqual(BigInt(answers[0]));
});

it('a wake-up that arrives while a stream opens does not hand its history to the first subscribers', async () => {
  const tenantId = crypto.randomUUID();
  // A long history: reading it from seq 0 takes more than one page.
  let history: EventEnvelope[] = [];
  await dataSource.transaction(async (manager) => {
    history = await store.append(manager, Array.from({ length: 1_200 }, () => deleted(tenantId)));
  });
  const hub = new StreamHub(dataSource, bus, logger, 100);
  // Wake-ups for this stream keep arriving while it opens, as on a busy tenant.
  const pinging = setInterval(() => void bus.engine.publish(bus.channels.stream(`tenant:${tenantId}`), { seq: '0' }), 1);
  try {
    const received: string[] = [];
    const { position, leave } = await hub.join(`tenant:${tenantId}`, (event) => received.push(event.seq));
    expect(BigInt(position)).toBeGreaterThanOrEqual(BigInt(history[history.length - 1].seq));
    const next = await commitOne(tenantId);
    await waitFor(() => received.includes(next.seq), { what: 'the event committed after joining' });
    expect(received).toEqual([next.seq]);
    leave();
  } finally {
    clearInterval(pinging);
    await hub.close();
  }
});
