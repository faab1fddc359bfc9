import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../src/db/data-source';
import type { EventName } from '../src/events/catalog';
import type { NewEvent } from '../src/events/envelope';
import { EventPublisher } from '../src/events/event-publisher';
import { EventStore } from '../src/events/event-store';
import { SeqHorizon } from '../src/events/seq-horizon';
import { createEventBus } from '../src/events/pubsub';
import { readStream } from '../src/events/streams';
import { Transactions } from '../src/events/transactions';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDatabase } from './support/database';

/** The event store on real PostgreSQL: same-transaction recording, delivery rows, gapless reads below the horizon. */
let db: TestDatabase;
let dataSource: DataSource;
const LISTENERS: Partial<Record<EventName, string[]>> = {
  'tenant.created': ['audit', 'onboarding'],
  'tenant.updated': [],
  'tenant.deleted': ['audit'],
};
const store = new EventStore((name) => LISTENERS[name] ?? []);
const context = { requestId: 'req-1', ip: '127.0.0.1', userAgent: 'jest' };

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = createDataSource(db.url, { embedded: false, applicationName: 'herald-test:event-store' });
  await dataSource.initialize();
  await migrate(dataSource, false);
});
afterAll(async () => {
  await dataSource.destroy();
  await db.drop();
});

function event(name: EventName, tenantId: string): NewEvent {
  return { name, tenantId, actorId: null, context, payload: { tenantId, slug: 's', name: 'n' } as never };
}

function randomTenant(): string {
  return crypto.randomUUID();
}

it('appends events in the order given, with one delivery row per interested listener', async () => {
  const tenantId = randomTenant();
  const appended = await dataSource.transaction((manager) =>
    store.append(manager, [event('tenant.created', tenantId), event('tenant.updated', tenantId), event('tenant.deleted', tenantId)]),
  );
  expect(appended.map((e) => e.name)).toEqual(['tenant.created', 'tenant.updated', 'tenant.deleted']);
  const seqs = appended.map((e) => BigInt(e.seq));
  expect(seqs[1]).toBeGreaterThan(seqs[0]);
  expect(seqs[2]).toBeGreaterThan(seqs[1]);
  expect(appended[0]).toMatchObject({ tenantId, actorId: null, context, payload: { tenantId } });

  const deliveries = await db.query<{ name: string; listener: string; status: string }>(
    `SELECT e.name, d.listener, d.status FROM deliveries d JOIN events e ON e.id = d.event_id
     WHERE e.tenant_id = $1 ORDER BY e.seq, d.listener`,
    [tenantId],
  );
  expect(deliveries).toEqual([
    { name: 'tenant.created', listener: 'audit', status: 'pending' },
    { name: 'tenant.created', listener: 'onboarding', status: 'pending' },
    { name: 'tenant.deleted', listener: 'audit', status: 'pending' },
  ]);
});

it("writes a delayed listener's delivery due that long after the event, the others due at once", async () => {
  const delayed = new EventStore((name) => LISTENERS[name] ?? [], undefined, {
    delayOf: (listener) => (listener === 'onboarding' ? 3_600_000 : 0),
  });
  const tenantId = randomTenant();
  await dataSource.transaction((manager) => delayed.append(manager, [event('tenant.created', tenantId)]));
  const rows = await db.query<{ listener: string; delay_s: number }>(
    `SELECT d.listener, extract(epoch FROM d.due_at - e.occurred_at)::float AS delay_s
     FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.tenant_id = $1 ORDER BY d.listener`,
    [tenantId],
  );
  expect(rows.map((r) => r.listener)).toEqual(['audit', 'onboarding']);
  expect(Math.abs(rows[0].delay_s)).toBeLessThan(5);
  expect(rows[1].delay_s).toBeGreaterThan(3_600 - 5);
  expect(rows[1].delay_s).toBeLessThan(3_600 + 5);
});

it('records nothing, neither events nor delivery rows, when the unit of work rolls back', async () => {
  const tenantId = randomTenant();
  const transactions = new Transactions(dataSource, store, () => undefined);
  await expect(
    transactions.run({ actorId: null, tenantId, context }, async (tx) => {
      tx.record('tenant.created', { tenantId, slug: 's', name: 'n', ownerId: tenantId });
      await tx.manager.query('SELECT 1 / 0');
    }),
  ).rejects.toThrow();
  const [{ count }] = await db.query<{ count: string }>(
    `SELECT (SELECT count(*) FROM events WHERE tenant_id = $1) + (SELECT count(*) FROM deliveries d
       JOIN events e ON e.id = d.event_id WHERE e.tenant_id = $1) AS count`,
    [tenantId],
  );
  expect(Number(count)).toBe(0);
});

it('hands the committed events to onCommit once, and does not call it for a unit of work that recorded none', async () => {
  const tenantId = randomTenant();
  const handed: string[][] = [];
  const transactions = new Transactions(dataSource, store, (events) => handed.push(events.map((e) => e.name)));
  await transactions.run({ actorId: null, tenantId, context }, async () => 'nothing recorded');
  expect(handed).toEqual([]);
  await transactions.run({ actorId: null, tenantId, context }, async (tx) => {
    tx.record('tenant.created', { tenantId, slug: 's', name: 'n', ownerId: tenantId });
    tx.record('tenant.deleted', { tenantId, slug: 's' });
  });
  expect(handed).toEqual([['tenant.created', 'tenant.deleted']]);
});

it("reads a stream's events after a seq and up to another, in seq order, at most `limit`", async () => {
  const tenantId = randomTenant();
  const appended = await dataSource.transaction((manager) =>
    store.append(manager, [1, 2, 3, 4].map(() => event('tenant.updated', tenantId))),
  );
  // Another tenant's event in between is on another stream.
  await dataSource.transaction((manager) => store.append(manager, [event('tenant.updated', randomTenant())]));
  const seqs = appended.map((e) => e.seq);
  const read = async (after: string, upTo: string, limit: number) =>
    (await readStream(dataSource, `tenant:${tenantId}`, after, upTo, limit)).map((e) => e.seq);
  expect(await read('0', seqs[3], 10)).toEqual(seqs);
  expect(await read(seqs[0], seqs[2], 10)).toEqual([seqs[1], seqs[2]]);
  expect(await read('0', seqs[3], 2)).toEqual([seqs[0], seqs[1]]);
  const [first] = await readStream(dataSource, `tenant:${tenantId}`, '0', seqs[0], 1);
  expect(first).toMatchObject({ id: appended[0].id, name: 'tenant.updated', tenantId, payload: { tenantId } });
});

it('reads up to the safe horizon only: a reader never later finds an event below a seq it has seen', async () => {
  const tenantId = randomTenant();
  const horizon = new SeqHorizon(dataSource);
  let writing = true;
  const violations: string[] = [];
  const seen = new Set<string>();
  let cursor = 0n;
  const reader = (async () => {
    while (writing) {
      const upTo = await horizon.next();
      const rows = await db.query<{ seq: string }>(`SELECT seq::text AS seq FROM events WHERE tenant_id = $1 AND seq <= $2`, [
        tenantId,
        upTo,
      ]);
      const before = cursor;
      for (const { seq } of rows) {
        if (seen.has(seq)) continue;
        if (BigInt(seq) <= before) violations.push(`${seq} appeared after ${before} was seen`);
        seen.add(seq);
        if (BigInt(seq) > cursor) cursor = BigInt(seq);
      }
    }
  })();
  // Writers hold their transaction open a little after appending: seqs then commit out of order,
  // and only the horizon keeps the reader from moving past an open one.
  const writer = async () => {
    for (let i = 0; i < 25; i++) {
      await dataSource.transaction(async (manager) => {
        await store.append(manager, [event('tenant.created', tenantId)]);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
      });
    }
  };
  await Promise.all(Array.from({ length: 6 }, writer));
  writing = false;
  await reader;
  expect(violations).toEqual([]);
  const [{ count }] = await db.query<{ count: string }>(`SELECT count(*) AS count FROM events WHERE tenant_id = $1`, [tenantId]);
  expect(Number(count)).toBe(150);
});

it('publishes every committed event and marks it published', async () => {
  const tenantId = randomTenant();
  const logger = createLogger('silent');
  const bus = createEventBus({ prefix: 'herald-test:', logger });
  const publisher = new EventPublisher(dataSource, bus, logger);
  const transactions = new Transactions(dataSource, store, (events) => publisher.committed(events));
  await Promise.all(
    Array.from({ length: 40 }, () =>
      transactions.run({ actorId: null, tenantId, context }, async (tx) =>
        tx.record('tenant.deleted', { tenantId, slug: 's' }),
      ),
    ),
  );
  await publisher.stop(); // waits for the publications under way
  const [{ unpublished, total }] = await db.query<{ unpublished: string; total: string }>(
    `SELECT count(*) FILTER (WHERE published_at IS NULL) AS unpublished, count(*) AS total FROM events WHERE tenant_id = $1`,
    [tenantId],
  );
  expect(Number(total)).toBe(40);
  expect(Number(unpublished)).toBe(0);
});
