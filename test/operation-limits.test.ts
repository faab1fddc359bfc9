import { getIntrospectionQuery } from 'graphql';
import { errorCode, ME, REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { firstAnswer, openRawSocket, type RawSocket } from './support/raw-ws';

let t: TestHerald;
let token: string;
beforeAll(async () => {
  t = await startTestHerald();
  const input = { email: uniqueEmail('limits'), password: 'a fine password', name: 'Limits' };
  token = (await t.gql(REGISTER, { input })).data!.register.accessToken;
});
afterAll(() => t.stop());

/** A valid query whose deepest field is at `depth` (introspection's `__type` is not exempt, `__schema` is). */
function deepQuery(depth: number): string {
  const chain = ['fields', 'type', ...Array<string>(depth - 4).fill('ofType')];
  return `{ __type(name: "Query") { ${chain.join(' { ')} { name ${'} '.repeat(chain.length)}} }`;
}
const repeat = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(' ');
/** `first: 200` literally: graphql-armor's cost multiplies a connection's cost by it. */
const bigPages = (n: number) => `{ ${repeat(n, (i) => `p${i}: events(first: 200) { edges { node { id seq name } } }`)} }`;

/** A document of `n` + 15 tokens. */
const namesList = (n: number) => `{ events(names: [${repeat(n, () => '"a"')}]) { edges { cursor } } }`;

/** [limit, the largest accepted operation, the smallest refused one]. */
const cases: [string, string, string][] = [
  ['depth', deepQuery(10), deepQuery(11)],
  ['aliases', `{ ${repeat(15, (i) => `a${i}: me { id }`)} }`, `{ ${repeat(16, (i) => `a${i}: me { id }`)} }`],
  ['rootFields', `{ ${repeat(20, () => 'me { id }')} }`, `{ ${repeat(21, () => 'me { id }')} }`],
  ['cost', bigPages(5), bigPages(6)],
  ['directives', `{ me { ${repeat(50, () => 'id @include(if: true)')} } }`, `{ me { ${repeat(51, () => 'id @include(if: true)')} } }`],
  ['tokens', namesList(985), namesList(986)],
];
const MAX = { depth: 10, aliases: 15, rootFields: 20, cost: 20_000, directives: 50, tokens: 1_000 } as Record<string, number>;

describe('GraphQL operation limits over HTTP (DESIGN.md §6 defaults)', () => {
  it.each(cases)('%s: at the limit it runs, past it LIMIT_EXCEEDED names the limit', async (limit, accepted, refused) => {
    const ok = await t.gql(accepted, {}, token);
    expect(JSON.stringify(ok.errors ?? [])).not.toContain('LIMIT_EXCEEDED');

    const response = await t.gql(refused, {}, token);
    expect(response.status).toBe(400);
    expect(response.errors).toEqual([
      { message: expect.stringMatching(new RegExp(`limit of ${MAX[limit]}`)), extensions: { code: 'LIMIT_EXCEEDED', limit, max: MAX[limit] } },
    ]);
    expect(response.data).toBeUndefined();
  });

  it("passes Sandbox's introspection query (__schema is exempt from depth and cost)", async () => {
    const response = await t.gql(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(response.errors).toBeUndefined();
    expect(response.data!.__schema.queryType.name).toBe('Query');
  });

  it('refuses a body over 100 KB with 413 and LIMIT_EXCEEDED', async () => {
    const body = JSON.stringify({ query: ME, variables: { pad: 'x'.repeat(102_400) } });
    const response = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      errors: [{ message: expect.stringMatching(/limit of 100 KB/), extensions: { code: 'LIMIT_EXCEEDED', limit: 'requestBody', max: 102_400 } }],
    });
  });

  it('refuses a batch (a JSON array of operations) with 400 BAD_REQUEST: one operation per request', async () => {
    const body = JSON.stringify([{ query: ME }, { query: ME }]);
    const response = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('logs none of these refusals as unexpected', () => {
    expect(t.logs.filter((line) => line.msg === 'unexpected error')).toEqual([]);
  });
});

describe('the same limits over WebSocket', () => {
  let raw: RawSocket;
  beforeAll(async () => {
    raw = await openRawSocket(t.url);
    await raw.init(token);
  });
  afterAll(() => raw.close());

  it.each(cases)('%s', async (limit, accepted, refused) => {
    raw.subscribe(`ok-${limit}`, accepted);
    const ok = await firstAnswer(raw, `ok-${limit}`);
    expect(JSON.stringify(ok.payload)).not.toContain('LIMIT_EXCEEDED');

    raw.subscribe(`refused-${limit}`, refused);
    const answer = await firstAnswer(raw, `refused-${limit}`);
    expect(answer.type).toBe('error');
    expect(answer.payload).toEqual([
      { message: expect.stringMatching(new RegExp(`limit of ${MAX[limit]}`)), extensions: { code: 'LIMIT_EXCEEDED', limit, max: MAX[limit] } },
    ]);
  });

  it('answers a syntax error with an error message, not by closing the socket', async () => {
    raw.subscribe('syntax', '{ me { id }');
    const answer = await firstAnswer(raw, 'syntax');
    expect(answer).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
    raw.subscribe('after', ME);
    expect((await firstAnswer(raw, 'after')).payload.data.me.id).toBeDefined();
  });
});

describe('a server with other limits configured', () => {
  let strict: TestHerald;
  beforeAll(async () => {
    strict = await startTestHerald({ GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ROOT_FIELDS: '2', REQUEST_BODY_LIMIT: '2kb' });
  });
  afterAll(() => strict.stop());

  it('applies them', async () => {
    expect(errorCode(await strict.gql('{ a: me { id } b: me { id } }'))).toBeUndefined();
    expect((await strict.gql('{ a: me { id } b: me { id } c: me { id } }')).errors![0].extensions).toMatchObject({ limit: 'rootFields', max: 2 });
    expect((await strict.gql(deepQuery(4))).errors![0].extensions).toMatchObject({ limit: 'depth', max: 3 });
    const big = await strict.gql(ME, { pad: 'x'.repeat(3000) });
    expect([big.status, big.errors![0].extensions]).toEqual([413, { code: 'LIMIT_EXCEEDED', limit: 'requestBody', max: 2048 }]);
  });
});
