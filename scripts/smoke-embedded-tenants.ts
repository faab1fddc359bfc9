/**
 * The tenant lifecycle in embedded mode (PGlite, in-process pub/sub, mail as .eml files), which
 * Jest cannot start in a test file (see NOTES.md). Run: `npx tsx scripts/smoke-embedded-tenants.ts`.
 * Exits non-zero when a step does not hold.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { Herald } from '../src/server';
import { gql } from '../test/support/graphql-client';

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'herald-embedded-'));
  const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn',
    PASSWORD_HASH_COST: 'low', PLATFORM_ADMIN_EMAILS: 'ops@example.com', LISTENER_POLL_MS: '100' });
  const herald = new Herald(config);
  const started = performance.now();
  try {
    await herald.start();
    console.log(`embedded Herald started in ${Math.round(performance.now() - started)} ms`);
    const call = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
      const response = await gql(herald.url, query, variables, { token });
      assert.equal(response.errors, undefined, JSON.stringify(response.errors));
      return response.data!;
    };
    const { register } = await call(`mutation { register(input: { email: "ada@example.com", password: "correct horse", name: "Ada" }) { accessToken } }`);
    const token = register.accessToken;
    const { createTenant } = await call(`mutation { createTenant(input: { name: "Acme", slug: "acme" }) { id status } }`, {}, token);
    assert.equal(createTenant.status, 'PROVISIONING');
    const created = performance.now();

    const statusOf = async () => (await call(`query($id: ID) { tenant(id: $id) { status } }`, { id: createTenant.id }, token)).tenant.status;
    const waitFor = async (status: string) => {
      const deadline = Date.now() + 20_000;
      while ((await statusOf()) !== status) {
        assert.ok(Date.now() < deadline, `tenant never became ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await waitFor('ACTIVE');
    console.log(`createTenant → ACTIVE in ${Math.round(performance.now() - created)} ms`);
    await call(`mutation($id: ID!) { updateTenant(id: $id, input: { name: "Acme Inc" }) { id } }`, { id: createTenant.id }, token);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { auditLog } = await call(`query($id: ID!) { auditLog(tenantId: $id) { edges { node { action } } } }`, { id: createTenant.id }, token);
      if (auditLog.edges.some((edge: { node: { action: string } }) => edge.node.action === 'tenant.updated')) break;
      assert.ok(Date.now() < deadline, 'no audit entry in the tenant log');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await call(`mutation($id: ID!) { deleteTenant(id: $id) { status } }`, { id: createTenant.id }, token);
    // The purge runs in the background; a platform admin sees it through the events API.
    const ops = await call(`mutation { register(input: { email: "ops@example.com", password: "correct horse", name: "Ops" }) { accessToken } }`);
    const purgeDeadline = Date.now() + 10_000;
    for (;;) {
      const { events } = await call(
        `query($id: ID) { events(tenantId: $id, names: ["tenant.database.dropped"]) { edges { node { name } } } }`,
        { id: createTenant.id },
        ops.register.accessToken,
      );
      if (events.edges.length === 1) break;
      assert.ok(Date.now() < purgeDeadline, 'the tenant was never purged');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const mail = await readdir(path.join(dataDir, 'mail')).catch(() => []);
    assert.ok(mail.length >= 2, `expected the setup guide and the admin notice, found ${mail.length}`);
    console.log(`ok: onboarding, tenant audit log and deletion work in embedded mode (${mail.length} mails written)`);
  } finally {
    await herald.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
