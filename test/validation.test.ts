import { LOGIN, LOGOUT, REFRESH, REGISTER, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';

let t: TestHerald;
/** The last event the server had recorded before any test ran (its start-up events). */
let lastSeqAtStart: string;
beforeAll(async () => {
  t = await startTestHerald();
  lastSeqAtStart = (await t.db.query<{ seq: string }>(`SELECT coalesce(max(seq), 0)::text AS seq FROM events`))[0].seq;
});
afterAll(() => t.stop());

const PASSWORD = 'a fine password';
const valid = () => ({ email: uniqueEmail('valid'), password: PASSWORD, name: 'Ada Lovelace' });

/** One BAD_USER_INPUT error naming `field`, a message that says what to fix, and nothing else. */
function expectBadInput(response: GraphQLResponse, field: string, fix: RegExp) {
  expect(response.status).toBe(200);
  expect(response.data).toBeNull();
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field });
  expect(response.errors![0].message).toMatch(fix);
}

/** Rejected input leaves no trace: no event, no user, no session. */
async function expectNothingRecorded() {
  const events = await t.db.query<{ name: string }>(`SELECT name FROM events WHERE seq > $1`, [lastSeqAtStart]);
  expect(events).toEqual([]);
  expect(await t.db.query(`SELECT id FROM users`)).toEqual([]);
  expect(await t.db.query(`SELECT id FROM sessions`)).toEqual([]);
}

const tooLongEmail = `${'a'.repeat(64)}@${'b'.repeat(190)}.com`; // 259 characters

describe('register refuses invalid input, naming the field and what to fix', () => {
  it.each([
    ['an email without @', { email: 'ada.example.com' }, 'email', /valid email address/],
    ['an empty email', { email: '' }, 'email', /Enter an email address/],
    ['a blank email', { email: '   ' }, 'email', /Enter an email address/],
    ['an email over 254 characters', { email: tooLongEmail }, 'email', /254 characters at most/],
    ['an email with a control character', { email: 'ada\u0000@example.com' }, 'email', /valid email address/],
    ['a password of 7 characters', { password: '1234567' }, 'password', /8 to 128 characters \(this one has 7\)/],
    ['a password of 129 characters', { password: 'p'.repeat(129) }, 'password', /8 to 128 characters \(this one has 129\)/],
    ['an empty name', { name: '' }, 'name', /Enter a name/],
    ['a blank name', { name: ' \t ' }, 'name', /Enter a name/],
    ['a name of 101 characters', { name: 'n'.repeat(101) }, 'name', /100 characters at most/],
    ['a name with a bell character', { name: 'Ada\u0007' }, 'name', /Remove control characters/],
    ['a name with a line break', { name: 'Ada\nLovelace' }, 'name', /Remove control characters/],
    ['a name with a line separator', { name: 'Ada\u2028Lovelace' }, 'name', /Remove control characters/],
  ])('%s', async (_what, override, field, fix) => {
    const input = { ...valid(), ...override };
    const response = await t.gql(REGISTER, { input });
    expectBadInput(response, field, fix);
    // The message describes the password; it never repeats it.
    expect(response.text).not.toContain(input.password);
    await expectNothingRecorded();
  });
});

describe('login, refreshToken and logout refuse invalid input the same way', () => {
  it.each([
    ['login with an email without @', LOGIN, { input: { email: 'ada', password: PASSWORD } }, 'email', /valid email/],
    ['login with an empty email', LOGIN, { input: { email: '', password: PASSWORD } }, 'email', /Enter an email/],
    ['login with an over-long email', LOGIN, { input: { email: tooLongEmail, password: PASSWORD } }, 'email', /254/],
    ['refreshToken with an empty token', REFRESH, { token: '' }, 'token', /Send the token exactly as it was issued/],
    ['refreshToken with a 513-character token', REFRESH, { token: 't'.repeat(513) }, 'token', /Send the token/],
    ['logout with an empty token', LOGOUT, { refreshToken: '' }, 'refreshToken', /Send the token/],
    ['logout with a 513-character token', LOGOUT, { refreshToken: 't'.repeat(513) }, 'refreshToken', /Send the token/],
  ])('%s', async (_what, operation, variables, field, fix) => {
    expectBadInput(await t.gql(operation, variables), field, fix);
    await expectNothingRecorded();
  });
});

describe('input of the wrong GraphQL type', () => {
  /** A client error with a code: no 500, no stack, no internals. */
  function expectRequestError(response: GraphQLResponse, code: string, mentions: RegExp) {
    expect(response.status).toBe(400);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].extensions).toEqual({ code });
    expect(response.errors![0].message).toMatch(mentions);
    expect(response.text).not.toMatch(/\n\s+at |node_modules|stacktrace/);
  }

  it.each([
    ['a number for email', REGISTER, { input: { ...valid(), email: 42 } }, /"input\.email"; String cannot represent/],
    ['an object for password', LOGIN, { input: { email: 'ada@example.com', password: { a: 1 } } }, /"input\.password"/],
    ['a missing name', REGISTER, { input: { email: 'ada@example.com', password: PASSWORD } }, /Field "name" of required type "String!" was not provided/],
    ['an unknown input field', REGISTER, { input: { ...valid(), role: 'admin' } }, /Field "role" is not defined by type "RegisterInput"/],
    ['null for a required token', REFRESH, { token: null }, /"\$token" of non-null type "String!" must not be null/],
    ['a list for a token', LOGOUT, { refreshToken: ['a', 'b'] }, /"\$refreshToken" got invalid value/],
  ])('answers BAD_USER_INPUT for %s in the variables', async (_what, operation, variables, mentions) => {
    expectRequestError(await t.gql(operation, variables), 'BAD_USER_INPUT', mentions);
    await expectNothingRecorded();
  });

  it('answers GRAPHQL_VALIDATION_FAILED for a number written into the query', async () => {
    const response = await t.gql(
      `mutation { register(input: { email: 42, password: "${PASSWORD}", name: "Ada" }) { accessToken } }`,
    );
    expectRequestError(response, 'GRAPHQL_VALIDATION_FAILED', /String cannot represent a non string value: 42/);
    await expectNothingRecorded();
  });

  it('answers GRAPHQL_PARSE_FAILED for a query that does not parse', async () => {
    expectRequestError(await t.gql(`mutation { register(input: {`), 'GRAPHQL_PARSE_FAILED', /Syntax Error/);
  });

  it('logs none of these as an unexpected error', () => {
    expect(t.logs.filter((line) => line.msg === 'unexpected error')).toEqual([]);
  });
});

describe('malformed HTTP bodies', () => {
  const post = (body: string) =>
    fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers a body that is not JSON with a JSON error, not an HTML page with a stack', async () => {
    const response = await post('{"query": ');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      errors: [{ message: expect.stringMatching(/not valid JSON/), extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('answers JSON that is no GraphQL request with BAD_REQUEST and what is wrong', async () => {
    const response = await post('{"query": 42}');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ message: 'GraphQL queries must be strings.', extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('answers a body over 100 KB (102,400 bytes) with 413 and says what the limit is', async () => {
    const response = await post(JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(110_000) } }));
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { message: string; extensions: object }[] };
    expect(body.errors[0].extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'requestBody', max: 102_400 });
    expect(body.errors[0].message).toMatch(/limit of 100 KB/);
  });
});
