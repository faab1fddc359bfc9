import { REGISTER, gql } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { firstAnswer, openRawSocket } from './support/raw-ws';

/**
 * Issue 13, finding 7 and the HTTP items of finding 8, in production. Before the fix: variable
 * coercion errors suggested enum values and input fields ("Did you mean …?"); over WebSocket the
 * same error answered INTERNAL_SERVER_ERROR and was logged at error level; GET /graphql served
 * Apollo's page (a `_latest` script from its CDN); unknown paths got Express's HTML 404; the
 * introspection refusal told clients to "pass introspection: true to ApolloServer".
 */
let t: TestHerald;
let token: string;
beforeAll(async () => {
  t = await startTestHerald({ NODE_ENV: 'production', PASSWORD_HASH_COST: 'standard' });
  const input = { email: uniqueEmail('quiet'), password: 'a fine password', name: 'Quiet' };
  token = (await t.gql(REGISTER, { input })).data!.register.accessToken;
});
afterAll(() => t.stop());

const BAD_ENUM = {
  query: `mutation($tenantId: ID!, $email: String!, $role: Role!) { addMember(tenantId: $tenantId, email: $email, role: $role) { role } }`,
  variables: { tenantId: '00000000-0000-0000-0000-000000000000', email: 'a@example.com', role: 'OWNR' },
};
const BAD_FIELD = {
  query: `mutation($input: LoginInput!) { login(input: $input) { accessToken } }`,
  variables: { input: { emial: 'a@example.com', password: 'whatever', email: 'a@example.com' } },
};

describe('variables that do not coerce', () => {
  it.each([['an enum value', BAD_ENUM], ['an input field', BAD_FIELD]])('name no schema detail over HTTP (%s)', async (_, bad) => {
    const response = await t.gql(bad.query, bad.variables, token);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(response.text).not.toMatch(/Did you mean/);
  });

  it.each([['an enum value', BAD_ENUM], ['an input field', BAD_FIELD]])('answer the same code over WebSocket, logged as no error (%s)', async (label, bad) => {
    const raw = await openRawSocket(t.url);
    try {
      await raw.init(token);
      raw.subscribe(label, bad.query, bad.variables);
      const answer = await firstAnswer(raw, label);
      expect(JSON.stringify(answer)).not.toMatch(/Did you mean/);
      const errors = answer.type === 'error' ? answer.payload : answer.payload.errors;
      expect(errors[0].extensions.code).toBe('BAD_USER_INPUT');
    } finally {
      raw.close();
    }
    expect(t.logs.filter((line) => line.level === 50 && String(line.msg).includes('subscription error'))).toEqual([]);
  });
});

describe('HTTP', () => {
  it('serves no page on GET /graphql, so nothing is loaded from a CDN or names a version', async () => {
    const response = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    const text = await response.text();
    expect(text).not.toMatch(/<html|<script|_latest|cdn\./i);
  });

  it('answers unknown paths with a JSON 404', async () => {
    for (const path of ['/nope', '/graphql/../admin', '/.env']) {
      const response = await fetch(`${t.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('NOT_FOUND');
    }
  });

  it('names INTROSPECTION when it refuses introspection', async () => {
    const response = await gql(t.url, '{ __schema { queryType { name } } }');
    expect(response.errors![0].message).toMatch(/INTROSPECTION=false/);
    expect(response.text).not.toMatch(/ApolloServer/);
  });

  it('does not say Sandbox in the start-up line when it is off', () => {
    const ready = t.logs.find((line) => String(line.msg).startsWith('Herald is ready'));
    expect(ready?.msg).toBe(`Herald is ready: GraphQL at ${t.url}/graphql`);
  });
});
