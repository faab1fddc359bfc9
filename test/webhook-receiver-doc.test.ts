import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './support/free-port';
import { startTestHerald, type TestHerald } from './support/herald';
import { REPO_ROOT } from './support/server-process';
import { createActiveTenant, signUp } from './support/tenants';
import { waitFor } from './support/wait';
import { ATTEMPTS, RETRY_MESSAGE, UPDATE_TENANT_NAME, createEndpoint } from './support/webhooks';

/**
 * The receiver docs/WEBHOOKS.md shows, run as written (in a child process, with the
 * `standardwebhooks` package) against Herald: it verifies every message and handles a resent one
 * (same webhook-id) once. A receiver written from the docs alone works.
 */
let t: TestHerald;
let receiver: ChildProcess | undefined;
let dir: string;

beforeAll(async () => {
  t = await startTestHerald({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
  dir = mkdtempSync(path.join(tmpdir(), 'herald-receiver-'));
}, 60_000);
afterAll(async () => {
  if (receiver && receiver.exitCode === null) receiver.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  await t?.stop();
});

it('verifies and deduplicates Herald\'s messages', async () => {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs/WEBHOOKS.md'), 'utf8');
  const code = /## Receiving and verifying[\s\S]*?```js\n([\s\S]*?)```/.exec(doc)![1];
  expect(code.trim().split('\n').length).toBeLessThanOrEqual(16);
  writeFileSync(path.join(dir, 'receiver.js'), code);

  const owner = await signUp(t, undefined, { verified: true });
  const tenant = await createActiveTenant(t, owner);
  const port = await freePort();
  const endpoint = await createEndpoint(t, owner.token, tenant.id, { url: `http://127.0.0.1:${port}/`, eventTypes: ['tenant.updated'] });

  const lines: string[] = [];
  receiver = spawn(process.execPath, [path.join(dir, 'receiver.js')], {
    env: { PATH: process.env.PATH, PORT: String(port), WEBHOOK_SECRET: endpoint.secret, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: receiver.stdout! }).on('line', (line) => lines.push(line));
  await waitFor(() => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then((r) => r.status === 400), { what: 'the receiver to listen and refuse an unsigned body' });

  await t.gql(UPDATE_TENANT_NAME, { id: tenant.id, input: { name: 'Docs Corp' } }, owner.token);
  await waitFor(() => lines.length === 1, { what: 'the receiver to print the verified message' });
  const [seq] = await t.db.query<{ seq: string; id: string }>(`SELECT seq::text, id FROM events WHERE tenant_id = $1 AND name = 'tenant.updated'`, [tenant.id]);
  expect(lines).toEqual([`tenant.updated ${seq.seq}`]);

  const answered = async (count: number) => {
    const edges = (await t.gql(ATTEMPTS, { endpointId: endpoint.id }, owner.token)).data!.webhookAttempts.edges;
    return edges.length === count && edges.every((e: { node: { status: string } }) => e.node.status === 'SUCCEEDED');
  };
  await waitFor(() => answered(1), { what: 'the message to be recorded as answered 2xx' });
  const resent = await t.gql(RETRY_MESSAGE, { endpointId: endpoint.id, eventId: seq.id }, owner.token);
  expect(resent.errors).toBeUndefined();
  await waitFor(() => answered(2), { what: 'the resent message to be answered 2xx' });
  expect(lines).toHaveLength(1); // the same webhook-id: handled once
});
