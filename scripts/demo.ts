/**
 * `npm run demo [-- --url http://localhost:4000]`: against a running Herald (embedded or not),
 * registers a user, creates a tenant, subscribes to its events and
 * prints them live as they arrive, then says how to do the same in Sandbox.
 */
import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const urlFlag = process.argv.indexOf('--url');
const url = (process.argv.find((arg) => arg.startsWith('--url='))?.slice(6) ??
  (urlFlag > 0 ? process.argv[urlFlag + 1] : undefined) ??
  'http://localhost:4000').replace(/\/+$/, '');
const say = (line: string) => process.stdout.write(`${line}\n`);

async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data!;
}

function follow(client: Client, query: string, variables: Record<string, unknown>, until: (name: string) => boolean) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => (stop(), resolve()), 20_000);
    const stop = client.subscribe<{ [field: string]: { seq: string; name: string; payload: unknown } }>(
      { query, variables },
      {
        next: ({ data, errors }) => {
          if (errors?.length) return reject(new Error(errors[0].message));
          const event = Object.values(data ?? {})[0];
          if (!event) return;
          say(`  #${event.seq.padEnd(6)} ${event.name.padEnd(38)} ${JSON.stringify(event.payload)}`);
          if (until(event.name)) {
            clearTimeout(timer);
            stop();
            resolve();
          }
        },
        error: (error) => reject(error instanceof Error ? error : new Error(String((error as { reason?: string }).reason ?? error))),
        complete: () => resolve(),
      },
    );
  });
}

async function main(): Promise<void> {
  const health = await fetch(`${url}/healthz`).catch(() => null);
  if (!health?.ok) throw new Error(`no Herald answers at ${url}: start it with \`npm start\` in another terminal (or pass --url)`);

  const email = `demo-${randomBytes(3).toString('hex')}@example.com`;
  const password = 'correct horse battery';
  const { register } = await gql(
    `mutation Register($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }`,
    { input: { email, password, name: 'Demo' } },
  );
  say(`registered ${email} (a welcome email is on its way: .herald/mail/ in embedded mode)`);
  const token: string = register.accessToken;
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });

  const slug = `demo-${randomBytes(3).toString('hex')}`;
  const { createTenant } = await gql(
    `mutation CreateTenant($input: CreateTenantInput!) { createTenant(input: $input) { id slug status } }`,
    { input: { name: 'Demo tenant', slug } },
    token,
  );
  say(`created tenant ${createTenant.slug} (${createTenant.id}), ${createTenant.status}; its events, live:`);
  await follow(
    client,
    `subscription TenantEvents($tenantId: ID!) { tenantEvents(tenantId: $tenantId, after: "0") { seq name payload } }`,
    { tenantId: createTenant.id },
    (name) => name === 'tenant.onboarding.completed',
  );
  await client.dispose();

  say('');
  say(`Do the same in Apollo Sandbox: open ${url}/graphql, run Register, put its accessToken in the`);
  say('environment variable "accessToken" (Settings > Environment variables), then run');
  say('CreateTenant and TenantEvents with its id.');
  say(`Metrics: ${url}/metrics   Events from a shell: npx herald events tail (stop the server first in embedded mode)`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`demo: ${error.message}\n`);
    process.exit(1);
  },
);
