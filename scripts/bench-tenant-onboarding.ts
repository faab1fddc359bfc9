/**
 * Time from createTenant to ACTIVE, on the real services (PostgreSQL, Redis, an SMTP sink), one
 * Herald instance. Run: `npx tsx scripts/bench-tenant-onboarding.ts [tenants=20]`. Not part of
 * `npm test`; it creates and drops a database of its own.
 */
import { startTestHerald } from '../test/support/herald';
import { createTenant, signUp, uniqueSlug } from '../test/support/tenants';

const COUNT = Number(process.argv[2] ?? 20);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  // The default poll (1 s) is what production runs with; wake-ups make it irrelevant on one instance.
  const t = await startTestHerald({ LOG_LEVEL: 'warn' }, { runtime: { pollIntervalMs: 1_000 } });
  try {
    const owner = await signUp(t);
    await createTenant(t, owner); // warm-up: first queries, JIT
    const observed: number[] = [];
    const server: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      const started = performance.now();
      const tenant = await createTenant(t, owner, uniqueSlug('bench'));
      for (;;) {
        const [row] = await t.db.query<{ status: string; ms: number }>(
          `SELECT status, extract(epoch FROM onboarding_completed_at - created_at) * 1000 AS ms FROM tenants WHERE id = $1`,
          [tenant.id],
        );
        if (row.status === 'ACTIVE') {
          observed.push(performance.now() - started);
          server.push(Number(row.ms));
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    const summary = (values: number[]) =>
      `p50 ${percentile(values, 50).toFixed(1)} ms, p90 ${percentile(values, 90).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;
    console.log(`createTenant → ACTIVE over ${COUNT} tenants, one at a time`);
    console.log(`  client-observed (request sent → ACTIVE seen, 2 ms polling): ${summary(observed)}`);
    console.log(`  server-side (created_at → onboarding_completed_at):          ${summary(server)}`);
  } finally {
    await t.stop();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
