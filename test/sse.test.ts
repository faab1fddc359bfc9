import { createClient, type Client, type ExecutionResult } from 'graphql-sse';
import { LOGIN, LOGOUT, REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { CHANGE_ROLE, REMOVE_MEMBER, UPDATE_TENANT, createActiveTenant, join, signUp, type Account } from './support/tenants';
import { waitFor } from './support/wait';
import { SECURITY_EVENTS, TENANT_EVENTS } from './support/ws-client';

/**
 * GraphQL over Server-Sent Events at /graphql/stream, driven by graphql-sse's own client in its
 * default "distinct connections" mode: the same operations, auth, limits, resume cursor, masking
 * and revocation as over WebSocket.
 */
let t: TestHerald;
let owner: Account;
let tenant: { id: string };
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestHerald({ WS_MAX_CONNECTIONS_PER_USER: '3' });
  owner = await signUp(t);
  tenant = await createActiveTenant(t, owner);
});
afterAll(async () => {
  for (const client of clients) client.dispose();
  await t.stop();
});

/** graphql-sse's client for `token`; retries off unless asked, so each refusal is seen at once. */
function sseClient(token: string | null, options: { retryAttempts?: number; headers?: () => Record<string, string> } = {}) {
  const client = createClient({
    url: `${t.url}/graphql/stream`,
    headers: options.headers ?? ((): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {})),
    retryAttempts: options.retryAttempts ?? 0,
  });
  clients.push(client);
  return client;
}

interface Recording {
  results: ExecutionResult<any>[];
  completed: boolean;
  error: unknown;
  stop: () => void;
}

function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}): Recording {
  const recording = { results: [], completed: false, error: undefined } as unknown as Recording;
  recording.stop = client.subscribe(
    { query, variables },
    {
      next: (result) => recording.results.push(result as ExecutionResult<any>),
      error: (error) => (recording.error = error),
      complete: () => (recording.completed = true),
    },
  );
  return recording;
}

const eventsOf = (recording: Recording) => recording.results.map((r) => r.data?.tenantEvents).filter(Boolean);

async function live(client: Client, query: string, variables: Record<string, unknown>) {
  const before = t.herald.liveStats().subscriptions;
  const recording = subscribe(client, query, variables);
  await waitFor(() => t.herald.liveStats().subscriptions > before || recording.results.length > 0 || recording.error, {
    what: 'the stream to start',
  });
  return recording;
}

describe('subscriptions over SSE', () => {
  it('replays from a cursor, then goes live: the stream in seq order, no gap, no duplicate', async () => {
    const stream = await live(sseClient(owner.token), TENANT_EVENTS, { tenantId: tenant.id, after: '0' });
    await t.gql(UPDATE_TENANT, { id: tenant.id, input: { name: 'Renamed over SSE' } }, owner.token);
    await waitFor(() => eventsOf(stream).some((e: any) => e.payload?.name === 'Renamed over SSE'), { what: 'the live event' });
    // What arrived so far (more may arrive while the store is read: listeners keep committing).
    const seen = eventsOf(stream).map((e: any) => e.seq);
    const stored = await t.db.query<{ seq: string }>(
      `SELECT seq::text FROM events WHERE (tenant_id = $1 OR $1 = ANY(audience_tenant_ids)) AND seq <= $2 ORDER BY events.seq`,
      [tenant.id, seen.at(-1)],
    );
    expect(seen).toEqual(stored.map((row) => row.seq));
    expect(stream.error).toBeUndefined();
    stream.stop();
    await waitFor(() => t.herald.liveStats().subscriptions === 0, { what: 'the server to end the stream when the client goes' });
  });

  it('refuses a request without a valid token: 401 UNAUTHENTICATED, before any stream', async () => {
    const response = await fetch(`${t.url}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: TENANT_EVENTS, variables: { tenantId: tenant.id } }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })] });
    const refused = subscribe(sseClient('not-a-token'), TENANT_EVENTS, { tenantId: tenant.id });
    await waitFor(() => refused.error, { what: "the client's error" });
    expect(refused.results).toEqual([]);
  });

  it("masks: another tenant's stream is NOT_FOUND, a MEMBER's security events FORBIDDEN, then complete", async () => {
    const stranger = await signUp(t);
    const foreign = subscribe(sseClient(stranger.token), TENANT_EVENTS, { tenantId: tenant.id });
    await waitFor(() => foreign.completed, { what: 'the answer' });
    expect(foreign.results).toEqual([{ errors: [expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })] }]);

    const member = await signUp(t);
    await join(t, owner, tenant.id, member, 'MEMBER');
    const security = subscribe(sseClient(member.token), SECURITY_EVENTS, { tenantId: tenant.id });
    await waitFor(() => security.completed, { what: 'the answer' });
    expect(security.results[0].errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });

  it('applies the operation limits and refuses queries and mutations (they go to POST /graphql)', async () => {
    const post = (body: object) =>
      fetch(`${t.url}/graphql/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
        body: JSON.stringify(body),
      });
    const twoOperations = `subscription { tenantEvents(tenantId: "${tenant.id}") { id } } query Other { me { id } }`;
    const ambiguous = await post({ query: twoOperations });
    expect(ambiguous.status).toBe(400);
    const overAliases = Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(' ');
    const limited = await post({ query: `subscription { tenantEvents(tenantId: "${tenant.id}") { ${overAliases} } }` });
    expect(limited.status).toBe(400);
    expect(((await limited.json()) as any).errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'aliases' });
    const query = await post({ query: '{ me { id } }' });
    expect(query.status).toBe(400);
    expect(((await query.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('a subscription sent to POST /graphql is refused there, without reaching a resolver', async () => {
    const response = await t.gql(TENANT_EVENTS, { tenantId: tenant.id }, owner.token);
    expect(response.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/WebSocket .* Server-Sent Events/), extensions: { code: 'FORBIDDEN' } })]);
  });

  it('counts each stream as a connection of its user (WS_MAX_CONNECTIONS_PER_USER): one more is 429 RATE_LIMITED', async () => {
    const user = await signUp(t);
    const tenantOfUser = await createActiveTenant(t, user);
    const client = sseClient(user.token);
    const streams = [];
    for (let i = 0; i < 3; i++) streams.push(await live(client, TENANT_EVENTS, { tenantId: tenantOfUser.id }));
    const response = await fetch(`${t.url}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ query: TENANT_EVENTS, variables: { tenantId: tenantOfUser.id } }),
    });
    expect(response.status).toBe(429);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('RATE_LIMITED');
    for (const stream of streams) stream.stop();
  });

  it('ends the stream with FORBIDDEN when the member is removed, or demoted from the role it needed', async () => {
    const removed = await signUp(t, uniqueEmail('sse-removed'));
    const demoted = await signUp(t, uniqueEmail('sse-demoted'));
    await join(t, owner, tenant.id, removed, 'MEMBER');
    await join(t, owner, tenant.id, demoted, 'ADMIN');
    const removedStream = await live(sseClient(removed.token), TENANT_EVENTS, { tenantId: tenant.id.toUpperCase() });
    const demotedStream = await live(sseClient(demoted.token), SECURITY_EVENTS, { tenantId: tenant.id });
    await t.gql(REMOVE_MEMBER, { tenantId: tenant.id, userId: removed.userId }, owner.token);
    await t.gql(CHANGE_ROLE, { tenantId: tenant.id, userId: demoted.userId, role: 'MEMBER' }, owner.token);
    for (const stream of [removedStream, demotedStream]) {
      await waitFor(() => stream.completed, { what: 'the stream to end', timeoutMs: 2_000 });
      expect(stream.results.at(-1)?.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    }
  });

  it("ends a session's streams when it logs out; graphql-sse's client retries with fresh headers and is refused", async () => {
    const email = uniqueEmail('sse-logout');
    const registered = (await t.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'SSE' } })).data!.register;
    const own = await live(sseClient(registered.accessToken, { retryAttempts: 1 }), SECURITY_EVENTS, {});
    await t.gql(LOGIN, { input: { email, password: 'a wrong password' } });
    await waitFor(() => own.results.length > 0, { what: 'a security event on the stream' });
    await t.gql(LOGOUT, { refreshToken: registered.refreshToken }, registered.accessToken);
    // The stream is dropped (no complete): the client retries once, and the ended session gets 401.
    await waitFor(() => own.error, { what: 'the client to give up', timeoutMs: 15_000 });
    expect(own.completed).toBe(false);
    await waitFor(() => t.herald.liveStats().subscriptions === 0, { what: 'no stream left open on the server' });
  });
});
