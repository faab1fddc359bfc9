import type { LookupFunction } from 'node:net';
import { errorCode } from './support/graphql-client';
import { startTestHerald, type TestHerald } from './support/herald';
import { createActiveTenant, signUp, type Account } from './support/tenants';
import { waitFor } from './support/wait';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';
import { ATTEMPTS, CREATE_ENDPOINT, UPDATE_TENANT_NAME, createEndpoint } from './support/webhooks';
import { guardedLookup, RefusedAddressError, WebhookRequester } from '../src/webhooks/webhook-request';

/**
 * The network rules of webhooks (DESIGN §6b), with WEBHOOK_ALLOW_PRIVATE_NETWORKS off: internal
 * addresses are refused when an endpoint is created with one, and, for a host name, in the HTTP
 * agent's own DNS lookup at every attempt, so the address checked is the one connected to. No
 * redirect is followed; proxy environment variables are not used.
 */
let t: TestHerald;
let receiver: WebhookReceiver;
let owner: Account;
let tenant: { id: string };

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  t = await startTestHerald({ WEBHOOK_RETRY_SCHEDULE: '0,200ms' });
  owner = await signUp(t, undefined, { verified: true });
  tenant = await createActiveTenant(t, owner);
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await receiver?.close();
});

it.each([
  '127.0.0.1',
  '[::1]',
  '[::ffff:127.0.0.1]',
  '169.254.169.254',
  '10.0.0.8',
  '0.0.0.0',
  'localhost',
])('refuses to create an endpoint at %s without WEBHOOK_ALLOW_PRIVATE_NETWORKS', async (host) => {
  const response = await t.gql(CREATE_ENDPOINT, { tenantId: tenant.id, input: { url: `http://${host}:${receiver.port}/hook` } }, owner.token);
  expect(errorCode(response)).toBe('BAD_USER_INPUT');
  expect(response.errors![0].message).toMatch(/internal/);
});

describe('at every attempt', () => {
  const failedAttempt = async (endpointId: string) =>
    waitFor(async () => {
      const page = (await t.gql(ATTEMPTS, { endpointId }, owner.token)).data!.webhookAttempts;
      return page.edges.length > 0 && page.edges[0].node;
    }, { what: 'the failed attempt' });

  it('refuses a host name that resolves to a loopback address, in the lookup, and sends nothing', async () => {
    // Creation refuses "localhost" by name; a name is really judged by what it resolves to, so
    // the endpoint gets it behind the API's back (as if DNS had changed since).
    const name = await createEndpoint(t, owner.token, tenant.id, { url: 'https://example.com/hook', eventTypes: ['tenant.updated'] });
    await t.db.query(`UPDATE webhook_endpoints SET url = $2 WHERE id = $1`, [name.id, `http://localhost:${receiver.port}/by-name`]);
    await t.gql(UPDATE_TENANT_NAME, { id: tenant.id, input: { name: 'Rebind Corp' } }, owner.token);
    const attempt = await failedAttempt(name.id);
    expect(attempt).toMatchObject({ status: 'FAILED', responseStatus: null });
    expect(attempt.error).toMatch(/refused to connect to 127\.0\.0\.1/);
    expect(receiver.at('/by-name')).toHaveLength(0);
  });

  it('refuses an address literal stored before the flag was turned off', async () => {
    const literal = await createEndpoint(t, owner.token, tenant.id, { url: 'https://example.com/hook', eventTypes: ['tenant.updated'] });
    await t.db.query(`UPDATE webhook_endpoints SET url = $2 WHERE id = $1`, [literal.id, `http://127.0.0.1:${receiver.port}/literal`]);
    await t.gql(UPDATE_TENANT_NAME, { id: tenant.id, input: { name: 'Literal Corp' } }, owner.token);
    const attempt = await failedAttempt(literal.id);
    expect(attempt.error).toMatch(/refused to connect to 127\.0\.0\.1/);
    expect(receiver.at('/literal')).toHaveLength(0);
  });
});

describe('the requester', () => {
  it('checks every address a name resolves to, on each connection (DNS rebinding)', async () => {
    const answers = [['93.184.215.14'], ['93.184.215.14', '10.0.0.7']];
    const resolve = ((_host: string, _options: unknown, callback: (e: null, a: { address: string; family: number }[]) => void) =>
      callback(null, answers.shift()!.map((address) => ({ address, family: 4 })))) as unknown as LookupFunction;
    const lookup = guardedLookup(resolve);
    const ask = () => new Promise<unknown>((resolve) => lookup('rebinding.example', { all: true }, (error, addresses) => resolve(error ?? addresses)));
    expect(await ask()).toEqual([{ address: '93.184.215.14', family: 4 }]);
    expect(await ask()).toBeInstanceOf(RefusedAddressError);
  });

  it('follows no redirect and uses no proxy from the environment', async () => {
    const proxy = await startWebhookReceiver();
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy };
    process.env.HTTP_PROXY = process.env.http_proxy = proxy.url;
    const requester = new WebhookRequester({ allowPrivateNetworks: true, allowHttp: true, timeoutMs: 5_000 });
    try {
      receiver.answer('/moved', { status: 302, headers: { location: `${receiver.url}/elsewhere` } });
      const answer = await requester.post(`${receiver.url}/moved`, {}, '{}');
      expect(answer.status).toBe(302);
      expect(receiver.at('/moved')).toHaveLength(1);
      expect(receiver.at('/elsewhere')).toHaveLength(0);
      expect(proxy.received).toHaveLength(0);
    } finally {
      Object.assign(process.env, saved);
      for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
      requester.close();
      await proxy.close();
    }
  });

  it('gives up on an endpoint that does not answer within the time limit', async () => {
    receiver.answer('/silent', 'hang');
    const requester = new WebhookRequester({ allowPrivateNetworks: true, allowHttp: true, timeoutMs: 300 });
    try {
      await expect(requester.post(`${receiver.url}/silent`, {}, '{}')).rejects.toThrow(/no answer within/);
    } finally {
      requester.close();
    }
  });
});
