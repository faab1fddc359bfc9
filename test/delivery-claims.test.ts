import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../src/db/data-source';
import { DeliveryClaims, type Claimed } from '../src/events/delivery-claims';
import { HOLD_AFTER_MS, PLATFORM_QUEUE } from '../src/events/delivery-schedule';
import { EventStore } from '../src/events/event-store';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * Claims on real PostgreSQL: they take turns between tenants instead of oldest-first across
 * everyone, cap each tenant's runs across instances, leave held rows and open breakers' rows
 * alone, and take over rows whose lease ended.
 */
let db: TestDatabase;
let dataSource: DataSource;
const A = '10000000-0000-4000-8000-000000000000';
const B = '20000000-0000-4000-8000-000000000000';
const C = '30000000-0000-4000-8000-000000000000';
const LISTENERS = ['effect'];
let delayMs = 0;
let dependency: string | null = null;
const store = new EventStore(() => LISTENERS, undefined, { delayOf: () => delayMs, dependencyOf: () => dependency });

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = createDataSource(db.url, { embedded: false, applicationName: 'herald-test:claims' });
  await dataSource.initialize();
  await migrate(dataSource, false);
});
afterAll(async () => {
  await dataSource.destroy();
  await db.drop();
});
beforeEach(async () => {
  await db.query(`DELETE FROM deliveries`);
  delayMs = 0;
  dependency = null;
});

/** `count` events of `tenantId` (null: platform-level), one delivery row each, due in this order. */
async function due(tenantId: string | null, count: number): Promise<void> {
  const context = { requestId: null, ip: null, userAgent: 'jest' };
  const event = {
    name: 'tenant.updated' as const,
    tenantId,
    actorId: null,
    context,
    payload: { tenantId: tenantId ?? A, fields: [], slug: 's', name: 'n' },
  };
  // A transaction each: the rows are due at now(), the transaction's start.
  for (let i = 0; i < count; i++) await dataSource.transaction((manager) => store.append(manager, [event]));
}

function claimsOf(instanceId: string, tenantConcurrency = 8) {
  return new DeliveryClaims(dataSource, { instanceId, listeners: LISTENERS, leaseMs: 60_000, tenantConcurrency });
}

const noLimits = { cursor: PLATFORM_QUEUE, blocked: [], tokens: null };
const byQueue = (rows: Claimed[]) =>
  rows.reduce<Record<string, number>>((counts, row) => ({ ...counts, [row.queue]: (counts[row.queue] ?? 0) + 1 }), {});

it('gives every tenant with due work its turn in one claim, however old one tenant’s backlog is', async () => {
  await due(A, 200); // A's burst, committed first
  await due(B, 3);
  await due(null, 2);
  const rows = await claimsOf('i1').claim(32, noLimits);
  expect(byQueue(rows)).toEqual({ [A]: 8, [B]: 3, [PLATFORM_QUEUE]: 2 });
  // Oldest-first across everyone would have taken 32 of A's rows and nothing of B's.
});

it('caps a tenant’s runs under way across instances, and platform-level work not at all', async () => {
  await due(A, 50);
  await due(null, 20);
  const first = await claimsOf('i1').claim(12, noLimits);
  expect(byQueue(first)).toEqual({ [A]: 8, [PLATFORM_QUEUE]: 4 });
  // Another instance: A's 8 runs under way count against its cap there too.
  const second = await claimsOf('i2').claim(32, noLimits);
  expect(byQueue(second)).toEqual({ [PLATFORM_QUEUE]: 16 });
  // Two of A's runs finish: two more of its rows may run.
  await db.query(`UPDATE deliveries SET status = 'done' WHERE id IN (SELECT id FROM deliveries WHERE tenant_id = $1 AND status = 'running' LIMIT 2)`, [A]);
  expect(byQueue(await claimsOf('i2').claim(32, noLimits))).toEqual({ [A]: 2 });
});

it('takes turns between claims: the walk starts after the tenant served last', async () => {
  await due(A, 20);
  await due(B, 20);
  await due(C, 20);
  const claims = claimsOf('i1', 100);
  const served: string[] = [];
  let cursor = PLATFORM_QUEUE;
  for (let i = 0; i < 4; i++) {
    const rows = await claims.claim(5, { ...noLimits, cursor });
    served.push(Object.keys(byQueue(rows)).join());
    cursor = rows.reduce((last, row) => (row.ring_position > last.ring_position ? row : last)).queue;
  }
  expect(served).toEqual([A, B, C, A]);
});

it('takes a tenant’s rows oldest first, and no more than its rate tokens', async () => {
  await due(A, 10);
  await due(B, 10);
  const oldest = (await db.query<{ id: string }>(`SELECT id::text FROM deliveries WHERE tenant_id = $1 ORDER BY due_at LIMIT 3`, [A]))
    .map((r) => r.id);
  const rows = await claimsOf('i1', 100).claim(32, {
    ...noLimits,
    tokens: { queues: [A], counts: [3], burst: 5 },
  });
  expect(byQueue(rows)).toEqual({ [A]: 3, [B]: 5 });
  expect(rows.filter((r) => r.queue === A).map((r) => r.delivery_id).sort()).toEqual(oldest.sort());
});

it('leaves held rows and the rows of an open breaker alone', async () => {
  delayMs = HOLD_AFTER_MS + 60_000; // a reminder, due in over a minute
  await due(A, 3);
  const [held] = await db.query<{ held: boolean }>(`SELECT bool_and(held_until IS NOT NULL) AS held FROM deliveries`);
  expect(held.held).toBe(true);
  delayMs = 0;
  dependency = 'smtp';
  await due(B, 3);
  dependency = null;
  await due(C, 1);
  const rows = await claimsOf('i1').claim(32, { ...noLimits, blocked: ['smtp'] });
  expect(byQueue(rows)).toEqual({ [C]: 1 });
  expect(byQueue(await claimsOf('i1').claim(32, noLimits))).toEqual({ [B]: 3 });
});

it('hides at most twice its limit from a claim that runs beside it on another instance', async () => {
  const tenants = Array.from({ length: 40 }, (_, i) => `4${String(i).padStart(7, '0')}-0000-4000-8000-000000000000`);
  for (const tenant of tenants) await due(tenant, 1);
  // Instance 1's claim, its transaction still open: the rows it read stay locked until it ends.
  const runner = dataSource.createQueryRunner();
  await runner.startTransaction();
  try {
    const inTransaction = { query: (sql: string, params: unknown[]) => runner.query(sql, params) } as unknown as DataSource;
    const first = await new DeliveryClaims(inTransaction, { instanceId: 'i1', listeners: LISTENERS, leaseMs: 60_000, tenantConcurrency: 8 }).claim(2, noLimits);
    expect(first).toHaveLength(2);
    // Instance 2 finds every row but the 2 × 2 that claim read (it had locked a row in each of the 40 queues it visited).
    expect(await claimsOf('i2').claim(64, noLimits)).toHaveLength(36);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
});

it('takes over a row whose lease ended, and never one whose lease runs', async () => {
  await due(A, 2);
  const [mine] = await claimsOf('dead-instance').claim(1, noLimits);
  expect(await claimsOf('i2').claim(32, noLimits)).toHaveLength(1); // the other row only
  await db.query(`UPDATE deliveries SET due_at = now() - interval '1 second' WHERE id = $1`, [mine.delivery_id]);
  const [taken] = await claimsOf('i2').claim(32, noLimits);
  expect(taken).toMatchObject({ delivery_id: mine.delivery_id, attempts: 2 });
  // The dead instance's renewal finds the row gone; the new holder's finds it.
  expect(await claimsOf('dead-instance').renew([{ id: mine.delivery_id, attempts: 1 }])).toEqual(new Set());
  expect(await claimsOf('i2').renew([{ id: mine.delivery_id, attempts: 2 }])).toEqual(new Set([mine.delivery_id]));
});
