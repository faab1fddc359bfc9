import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../src/db/data-source';
import type { DeliveryGuard } from '../src/events/completion-batch';
import { DeliveryCompletions } from '../src/events/delivery-completions';
import type { EventEnvelope } from '../src/events/envelope';
import { EventStore } from '../src/events/event-store';
import { LeaseLostError } from '../src/events/lease-lost-error';
import type { Tx } from '../src/events/transactions';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitFor, within } from './support/wait';

/**
 * Batched listener completions on real PostgreSQL: several `complete` calls share one
 * transaction with their deliveries' guarded completions; when one fails, each runs alone.
 */
let db: TestDatabase;
let dataSource: DataSource;
let completions: DeliveryCompletions;
const committed: EventEnvelope[][] = [];
const INSTANCE = 'instance-a';
const store = new EventStore((name) => (name === 'tenant.created' ? ['effect'] : []));

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = createDataSource(db.url, { embedded: false, applicationName: 'herald-test:completions' });
  await dataSource.initialize();
  await migrate(dataSource, false);
  await db.query('CREATE TABLE test_effects (delivery_id bigint PRIMARY KEY, txid bigint NOT NULL)');
  completions = new DeliveryCompletions({
    dataSource,
    store,
    onCommit: (events) => committed.push(events),
    terminateAbandoned: true,
    logger: createLogger('silent'),
  });
});
afterAll(async () => {
  await dataSource.destroy();
  await db.drop();
});

/** `count` delivery rows claimed by INSTANCE, as the runtime's claim leaves them. */
async function claimedDeliveries(count: number): Promise<DeliveryGuard[]> {
  const context = { requestId: null, ip: null, userAgent: 'jest' };
  const events = Array.from({ length: count }, () => {
    const tenantId = crypto.randomUUID();
    return { name: 'tenant.created' as const, tenantId, actorId: null, context, payload: { tenantId, slug: 's', name: 'n' } };
  });
  const appended = await dataSource.transaction((manager) => store.append(manager, events));
  const rows = await db.query<{ id: string }>(
    `UPDATE deliveries SET status = 'running', locked_by = $1, attempts = 1, due_at = now() + interval '1 minute'
     WHERE event_id = ANY($2::uuid[]) RETURNING id::text`,
    [INSTANCE, appended.map((e) => e.id)],
  );
  return rows.map((r) => ({ id: r.id, lockedBy: INSTANCE, attempts: 1 }));
}

/** The work of a bench-like listener: one effect row, and an event attributed to `actorId`'s request. */
function effect(guard: DeliveryGuard, actorId: string) {
  return async (tx: Tx) => {
    const [{ txid }] = await tx.manager.query(
      'INSERT INTO test_effects (delivery_id, txid) VALUES ($1, txid_current()) RETURNING txid::text',
      [guard.id],
    );
    tx.record('tenant.updated', { tenantId: actorId, changes: ['name'] } as never);
    return txid as string;
  };
}

function complete<T>(guard: DeliveryGuard, work: (tx: Tx) => Promise<T>, signal = new AbortController().signal) {
  const actorId = crypto.randomUUID();
  return completions.complete({
    guard,
    origin: { actorId, tenantId: null, context: { requestId: `req-${guard.id}`, ip: null, userAgent: 'jest' } },
    signal,
    work,
  });
}

const statusOf = async (guards: DeliveryGuard[]) =>
  (
    await db.query<{ status: string }>(`SELECT status FROM deliveries WHERE id = ANY($1::bigint[]) ORDER BY id`, [
      guards.map((g) => g.id),
    ])
  ).map((r) => r.status);
const effectsOf = async (guards: DeliveryGuard[]) =>
  db.query<{ delivery_id: string }>(`SELECT delivery_id::text FROM test_effects WHERE delivery_id = ANY($1::bigint[])`, [
    guards.map((g) => g.id),
  ]);

it('commits several completions in one transaction: every effect, completion and recorded event', async () => {
  const guards = await claimedDeliveries(5);
  committed.length = 0;
  const txids = await Promise.all(guards.map((g) => complete(g, effect(g, crypto.randomUUID()))));

  expect(new Set(txids).size).toBe(1); // one transaction
  expect(await statusOf(guards)).toEqual(Array(5).fill('done'));
  expect(await effectsOf(guards)).toHaveLength(5);
  // One append for the batch, each event with its own completion's origin.
  expect(committed).toHaveLength(1);
  expect(committed[0].map((e) => e.context.requestId)).toEqual(guards.map((g) => `req-${g.id}`));
  expect(new Set(committed[0].map((e) => e.actorId)).size).toBe(5);
});

it('rolls back only the failing work, and rejects only its caller', async () => {
  const guards = await claimedDeliveries(4);
  committed.length = 0;
  const failing = guards[1];
  const outcomes = await Promise.allSettled(
    guards.map((g) =>
      complete(g, async (tx) => {
        const txid = await effect(g, crypto.randomUUID())(tx);
        // Its effect row is written, then a statement fails: the transaction would be aborted.
        if (g === failing) await tx.manager.query('SELECT 1 / 0');
        return txid;
      }),
    ),
  );

  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/division by zero/);
  expect(await statusOf(guards)).toEqual(['done', 'running', 'done', 'done']);
  expect((await effectsOf(guards)).map((r) => r.delivery_id).sort()).toEqual(
    [guards[0], guards[2], guards[3]].map((g) => g.id).sort(),
  );
  expect(committed.flat()).toHaveLength(3); // the failing work's event went with its savepoint
});

it('applies nothing for a delivery another instance took over, and completes the rest', async () => {
  const guards = await claimedDeliveries(4);
  const stale = guards[2];
  await db.query(`UPDATE deliveries SET locked_by = 'instance-b', attempts = attempts + 1 WHERE id = $1`, [stale.id]);
  let staleRan = false;
  const outcomes = await Promise.allSettled(
    guards.map((g) =>
      complete(g, async (tx) => {
        if (g === stale) staleRan = true;
        return effect(g, crypto.randomUUID())(tx);
      }),
    ),
  );

  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(LeaseLostError);
  expect(staleRan).toBe(false);
  expect(await statusOf(guards)).toEqual(['done', 'done', 'running', 'done']);
  expect((await effectsOf([stale]))).toEqual([]);
  const [row] = await db.query(`SELECT locked_by FROM deliveries WHERE id = $1`, [stale.id]);
  expect(row.locked_by).toBe('instance-b');
});

it('a work stuck past its run time rolls back its batch at once; the others then complete alone', async () => {
  const guards = await claimedDeliveries(3);
  const timeUp = new AbortController();
  const outcomes = Promise.allSettled(
    guards.map((g, i) =>
      complete(
        g,
        async (tx) => {
          await effect(g, crypto.randomUUID())(tx);
          if (i === 1 && !timeUp.signal.aborted) await tx.manager.query('SELECT pg_sleep(60)'); // stuck in a statement
        },
        i === 1 ? timeUp.signal : undefined,
      ),
    ),
  );
  // Its time is up while it is stuck in the statement (as the run's timeout would find it).
  await waitFor(async () => {
    const rows = await db.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()`,
    );
    return rows.length === 1;
  }, { what: 'the work to be stuck in its statement' });
  timeUp.abort(new Error('its run timed out'));
  // Abandoned well before the 60 s statement could end by itself: the deadline bounds only the failure.
  const settled = await within(outcomes, 30_000, 'the batch to be abandoned');

  expect(settled.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/its run timed out/);
  expect(await statusOf(guards)).toEqual(['done', 'running', 'done']);
  expect((await effectsOf(guards)).map((r) => r.delivery_id).sort()).toEqual([guards[0].id, guards[2].id].sort());
  // Its locks went with its backend: its row can be updated at once, and a later completion runs.
  await within(db.query(`UPDATE deliveries SET attempts = attempts WHERE id = $1`, [guards[1].id]), 2_000, 'the row to be free');
  await within(complete(guards[1], effect(guards[1], crypto.randomUUID())), 5_000, 'a later completion');
  expect(await statusOf([guards[1]])).toEqual(['done']);
});

it('pays no savepoint when every work succeeds: each work writes in the one top-level transaction', async () => {
  const guards = await claimedDeliveries(4);
  let runs = 0;
  const xidLocks = await Promise.all(
    guards.map((g) =>
      complete(g, async (tx) => {
        runs++;
        await effect(g, crypto.randomUUID())(tx);
        // A transaction that writes holds a lock on its own xid; a subtransaction (a savepoint)
        // that writes holds one on its own subxid as well, until the top-level transaction ends.
        const [{ n }] = await tx.manager.query(
          `SELECT count(*)::int AS n FROM pg_locks
           WHERE pid = pg_backend_pid() AND locktype = 'transactionid' AND mode = 'ExclusiveLock'`,
        );
        return n as number;
      }),
    ),
  );
  expect(xidLocks).toEqual([1, 1, 1, 1]);
  expect(runs).toBe(4);
  expect(await statusOf(guards)).toEqual(Array(4).fill('done'));
});

it('has the batch’s backend check for its client while a work runs, so a dead instance’s stuck statement ends', async () => {
  const [guard] = await claimedDeliveries(1);
  const setting = await complete(guard, async (tx) => {
    const [row] = await tx.manager.query(`SELECT current_setting('client_connection_check_interval') AS value`);
    return row.value as string;
  });
  expect(setting).toBe('2s');
});

it('marks deliveries of handlers that never called complete done in one statement, guarded', async () => {
  const guards = await claimedDeliveries(3);
  await Promise.all([
    completions.markDone(guards[0]),
    completions.markDone(guards[1]),
    completions.markDone({ ...guards[2], attempts: 7 }), // a claim it no longer holds
  ]);
  expect(await statusOf(guards)).toEqual(['done', 'done', 'running']);
});
