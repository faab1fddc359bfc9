import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, validate } from 'graphql';
import { createClient } from 'graphql-ws';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { SANDBOX_SCRIPT } from '../src/http/sandbox-landing-page';
import { loadTypeDefs } from '../src/schema/load';
import { REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';

let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald({ SANDBOX: 'true' });
});
afterAll(() => t.stop());

async function landingPage(url = `${t.url}/graphql`): Promise<{ status: number; html: string }> {
  const response = await fetch(url, { headers: { accept: 'text/html' } });
  return { status: response.status, html: await response.text() };
}

/** Runs the page's inline script against a stand-in browser and returns what it gave the embed. */
function embedOptions(html: string, location: { origin: string; pathname: string }): Record<string, any> {
  const inline = [...html.matchAll(/<script nonce="([^"]+)">([\s\S]*?)<\/script>/g)];
  expect(inline).toHaveLength(1);
  let options: Record<string, any> | undefined;
  const window = {
    location,
    EmbeddedSandbox: class {
      constructor(given: Record<string, any>) {
        options = given;
      }
    },
  };
  const target = { textContent: 'fallback' };
  runInNewContext(inline[0][2], { window, document: { getElementById: () => target } });
  expect(options).toBeDefined();
  expect(options!.target).toBe(target);
  return options!;
}

describe('Apollo Sandbox on GET /graphql', () => {
  it('embeds the Sandbox from Apollo’s CDN under a nonce-based Content-Security-Policy', async () => {
    const { status, html } = await landingPage();
    expect(status).toBe(200);
    const nonce = /<meta http-equiv="Content-Security-Policy" content="script-src 'nonce-([0-9a-f]+)'/.exec(html)?.[1];
    expect(nonce).toBeDefined();
    expect(html).toContain(`<script nonce="${nonce}" src="${SANDBOX_SCRIPT}"></script>`);
    expect((await landingPage()).html).not.toContain(nonce); // a fresh nonce per page
  });

  it('points the Sandbox at this endpoint, and subscriptions at its WebSocket, from the page’s location', async () => {
    const { html } = await landingPage();
    const local = embedOptions(html, { origin: t.url, pathname: '/graphql' });
    expect(local.initialEndpoint).toBe(`${t.url}/graphql`);
    expect(local.initialSubscriptionEndpoint).toBe(`${t.url.replace('http://', 'ws://')}/graphql`);
    expect(local.endpointIsEditable).toBe(false);

    const proxied = embedOptions(html, { origin: 'https://api.example.com', pathname: '/herald/graphql' });
    expect(proxied.initialEndpoint).toBe('https://api.example.com/herald/graphql');
    expect(proxied.initialSubscriptionEndpoint).toBe('wss://api.example.com/herald/graphql');
  });

  it('opens with the main operations, valid against the schema, and the Authorization header from a variable', async () => {
    const { initialState } = embedOptions((await landingPage()).html, { origin: t.url, pathname: '/graphql' });
    const document: string = initialState.document;
    for (const field of ['register(input:', 'login(input:', 'createTenant(input:', 'tenantEvents(tenantId:', 'securityEvents']) {
      expect(document).toContain(field);
    }
    // Every operation of the document is valid against the schema (the whole document runs).
    const schema = makeExecutableSchema({ typeDefs: loadTypeDefs() });
    expect(validate(schema, parse(document))).toEqual([]);
    expect(initialState.headers).toEqual({ Authorization: 'Bearer {{accessToken}}' });
    expect(initialState.variables).toMatchObject({ email: expect.any(String), password: expect.any(String), tenantId: expect.any(String) });
    expect(initialState.pollForSchemaUpdates).toBe(false);
  });

  it('accepts the Sandbox’s WebSocket authentication, which arrives as "Authorization"', async () => {
    const registered = await t.gql(REGISTER, { input: { email: uniqueEmail('sandbox'), password: 'correct horse battery', name: 'Sand' } });
    const token = registered.data!.register.accessToken as string;
    const client = createClient({
      url: `${t.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const time = await new Promise<unknown>((resolve, reject) => {
      const stop = client.subscribe({ query: 'subscription { serverTime }' }, {
        next: (result) => {
          stop();
          resolve(result.data?.serverTime);
        },
        error: reject,
        complete: () => undefined,
      });
    });
    expect(typeof time).toBe('string');
    await client.dispose();
  });

  it('is not served when SANDBOX=false', async () => {
    const peer = await t.startPeer({ SANDBOX: 'false' });
    const { html } = await landingPage(`${peer.url}/graphql`);
    expect(html).not.toContain('EmbeddedSandbox');
  });
});
