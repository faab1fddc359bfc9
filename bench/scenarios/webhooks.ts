import { v7 as uuidv7 } from 'uuid';
import type { Transactions } from '../../src/events/transactions';
import type { Services } from '../../src/services';
import type { RequestContext } from '../../src/services/request-context';
import { startBenchChild, wallClockMs } from '../support/bench-child';
import { startBenchHerald, type BenchHerald } from '../support/bench-herald';
import { runPaced, waitUntil } from '../support/concurrency';
import type { Scenario, ScenarioResult } from '../support/scenario';
import { formatNumber, percentile } from '../support/stats';

const SIZES = {
  quick: { latencySeconds: 5, isolationSeconds: 8 },
  full: { latencySeconds: 15, isolationSeconds: 20 },
};
const EVENTS_PER_SECOND = 100;
const ENDPOINTS = 10;
const B_PER_SECOND = 10;
const HANGING_BACKLOG = 1_000;

type Arrival = [path: string, webhookId: string, at: number];

/**
 * Signed webhooks (issue 16), to a receiver in a child process on loopback:
 * - latency: 100 events a second to 10 endpoints (10 tenants with one endpoint each, the events
 *   taking turns between them: 100 messages a second), commit → receiver, p50 and p99;
 * - isolation: tenant B's webhooks at 10 a second, commit → receiver, with tenant A idle, then
 *   with A's endpoint hanging (it accepts and never answers) and 1,000 of A's events queued for it.
 * Herald keeps its production defaults (15 s timeout, 4 requests per endpoint, breaker after 5).
 */
export const webhooks: Scenario = {
  name: 'webhooks',
  async run(settings) {
    const sizes = settings.quick ? SIZES.quick : SIZES.full;
    const { child: receiver, ready } = await startBenchChild<{ port: number }>('webhook receiver', 'bench/support/webhook-receiver-child.ts');
    const base = `http://127.0.0.1:${ready.port}`;
    const bench = await startBenchHerald({}, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    try {
      const { transactions, services } = bench.herald.parts;
      const arrivals: Arrival[] = [];
      const collect = async () => arrivals.push(...(await receiver.request<Arrival[]>('arrivals')));
      const committed = new Map<string, number>();
      const commit = async (tenantId: string) => {
        const id = await commitEvent(transactions, tenantId);
        committed.set(id, wallClockMs());
      };
      /** Commit → first arrival at `prefix…`, ms, of the events in `ids`, once all have arrived (each at `copies` paths). */
      const latencies = async (ids: string[], prefix: string, copies: number) => {
        const wanted = new Set(ids);
        const count = () => arrivals.filter(([path, id]) => path.startsWith(prefix) && wanted.has(id)).length;
        await waitUntil(async () => (await collect(), count() >= ids.length * copies), `${ids.length * copies} messages at ${prefix}`, {
          timeoutMs: 120_000,
          intervalMs: 200,
        });
        return arrivals
          .filter(([path, id]) => path.startsWith(prefix) && wanted.has(id))
          .map(([, id, at]) => Math.max(0, at - committed.get(id)!));
      };

      // Latency at 100 events/s to 10 endpoints.
      const loud: string[] = [];
      for (let i = 0; i < ENDPOINTS; i++) loud.push(await tenantWithEndpoints(bench, services, base, `/loud${i}-`, 1));
      const loudIds: string[] = [];
      await runPaced(EVENTS_PER_SECOND, EVENTS_PER_SECOND * sizes.latencySeconds, async (i) => {
        const id = await commitEvent(transactions, loud[i % ENDPOINTS]);
        committed.set(id, wallClockMs());
        loudIds.push(id);
      });
      const loudLatency = await latencies(loudIds, '/loud', 1);
      process.stdout.write(
        `  latency: ${loudLatency.length} messages, p50 ${formatNumber(percentile(loudLatency, 0.5))} ms, p99 ${formatNumber(percentile(loudLatency, 0.99))} ms\n`,
      );

      // Isolation: B alone, then B while A's endpoint hangs with 1,000 events queued.
      const tenantA = await tenantWithEndpoints(bench, services, base, '/hang', 1);
      const tenantB = await tenantWithEndpoints(bench, services, base, '/b', 1);
      const paceB = async () => {
        const ids: string[] = [];
        await runPaced(B_PER_SECOND, B_PER_SECOND * sizes.isolationSeconds, async () => {
          const id = await commitEvent(transactions, tenantB);
          committed.set(id, wallClockMs());
          ids.push(id);
        });
        return latencies(ids, '/b', 1);
      };
      const alone = await paceB();
      for (let i = 0; i < HANGING_BACKLOG; i += 50) {
        await Promise.all(Array.from({ length: 50 }, () => commit(tenantA)));
      }
      const withA = await paceB();
      const maxHanging = await receiver.request<number>('maxHanging');
      const [held] = await bench.db.query<{ waiting: number; running: number }>(
        `SELECT count(*) FILTER (WHERE status = 'pending')::int AS waiting, count(*) FILTER (WHERE status = 'running')::int AS running
         FROM deliveries d JOIN webhook_endpoints w ON d.dependency = 'webhook:' || w.id WHERE w.tenant_id = $1`,
        [tenantA],
      );
      const ratio = percentile(withA, 0.99) / percentile(alone, 0.99);
      process.stdout.write(
        `  isolation: B p99 ${formatNumber(percentile(alone, 0.99))} ms with A idle, ${formatNumber(percentile(withA, 0.99))} ms with A hanging (${ratio.toFixed(2)}×)\n`,
      );
      return report(sizes, { loudLatency, alone, withA, ratio, maxHanging, held });
    } finally {
      await bench.stop();
      await receiver.stop();
    }
  },
};

async function commitEvent(transactions: Transactions, tenantId: string): Promise<string> {
  const origin = { actorId: null, tenantId, context: { requestId: null, ip: null, userAgent: null } };
  return transactions.run(origin, async (tx) => tx.record('tenant.updated', { tenantId, fields: ['name'], slug: 'bench', name: 'Bench' }));
}

/** A platform admin (no account row: the bench sets endpoints up through the service, not over HTTP). */
const PLATFORM_ADMIN: RequestContext = {
  requestId: 'bench',
  ip: null,
  userAgent: null,
  viewer: { userId: uuidv7(), sessionId: uuidv7(), email: 'bench@example.com', emailVerified: true, isPlatformAdmin: true, tokenExpiresAt: 2 ** 31 },
};

/** A tenant (its row only: no onboarding) with `count` endpoints at `<base><path><i>`, each taking tenant.updated. */
async function tenantWithEndpoints(bench: BenchHerald, services: Services, base: string, path: string, count: number): Promise<string> {
  const tenantId = uuidv7();
  await bench.db.query(`INSERT INTO tenants (id, slug, name, status) VALUES ($1, $2, 'Bench', 'ACTIVE')`, [tenantId, `bench-${tenantId.slice(-12)}`]);
  for (let i = 0; i < count; i++) {
    await services.webhooks.create(PLATFORM_ADMIN, tenantId, { url: `${base}${path}${i}`, eventTypes: ['tenant.updated'] });
  }
  return tenantId;
}

function report(
  sizes: (typeof SIZES)['full'],
  figures: { loudLatency: number[]; alone: number[]; withA: number[]; ratio: number; maxHanging: number; held: { waiting: number; running: number } },
): ScenarioResult {
  const ms = (values: number[], p: number) => `${formatNumber(percentile(values, p))} ms`;
  return {
    title: 'Webhooks: delivery latency, and one tenant\'s hanging endpoint against another tenant',
    description: [
      'Herald in this process with its production defaults for webhooks (15 s timeout, 4 requests open per endpoint, ' +
        'the endpoint\'s breaker opening after 5 failures in a row, 32 runs at once, 16 per tenant); the receiver is a ' +
        'child process on loopback that answers 204 at once, or never (`/hang`). Times are commit → the request at the ' +
        'receiver, on the machine\'s wall clock, one run. The machine is shared and loaded (2 cores, other agents\' test ' +
        'suites running); read the figures as this machine under load, the ratio as the comparison that counts.',
      `Latency: ${EVENTS_PER_SECOND} events/s for ${sizes.latencySeconds} s to ${ENDPOINTS} endpoints (${ENDPOINTS} tenants ` +
        `with one endpoint each; the events take turns between them, so ${EVENTS_PER_SECOND} messages/s). Isolation: tenant B commits ${B_PER_SECOND} ` +
        `events/s for ${sizes.isolationSeconds} s with tenant A idle, then again right after ${HANGING_BACKLOG.toLocaleString('en-US')} ` +
        'events were committed for A\'s hanging endpoint.',
    ],
    tables: [
      {
        title: 'Commit → receiver',
        columns: ['figure', 'p50', 'p99', 'messages'],
        rows: [
          [`${EVENTS_PER_SECOND} events/s to ${ENDPOINTS} endpoints`, ms(figures.loudLatency, 0.5), ms(figures.loudLatency, 0.99), String(figures.loudLatency.length)],
          ['tenant B, tenant A idle', ms(figures.alone, 0.5), ms(figures.alone, 0.99), String(figures.alone.length)],
          ['tenant B, A hanging with 1,000 queued', ms(figures.withA, 0.5), ms(figures.withA, 0.99), String(figures.withA.length)],
        ],
        notes: [
          `A's endpoint had at most ${figures.maxHanging} requests open at once; when B's run ended, ${figures.held.waiting} of A's ` +
            `messages were waiting and ${figures.held.running} running.`,
        ],
      },
    ],
    targets: [
      { target: "isolation: B's webhook p99 with A's endpoint hanging ≤ 2× B's with A idle", measured: `${figures.ratio.toFixed(2)}×`, met: figures.ratio <= 2 },
    ],
  };
}
