import fc from 'fast-check';
import { gql, LOGIN, LOGOUT, ME, REFRESH, REGISTER, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { ACCEPT_INVITATION, ADD_MEMBER, AUDIT_LOG, CHANGE_ROLE, CREATE_TENANT, DECLINE_INVITATION, DELETE_TENANT, INVITE_MEMBER, LEAVE_TENANT, REMOVE_MEMBER, RESEND_INVITATION, RETRY_ONBOARDING, REVOKE_INVITATION, TENANT, TENANTS, UPDATE_TENANT, VERIFY_EMAIL, createTenant, signUp, uniqueSlug, type Account } from './support/tenants';

/**
 * Property: whatever a client sends as variables (any unicode, empty, huge, the wrong type), every
 * answer is a success or GraphQL errors with documented codes: never a 500, a stack, SQL, or a
 * crash. Values go as raw JSON variables, so graphql-js's coercion is exercised as well.
 */
/** Bounded so the file runs in well under a minute on a loaded 2-core machine; FUZZ_RUNS digs deeper. */
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 40);
/** Every code the README documents, except INTERNAL_SERVER_ERROR, which would be a bug here. */
const DOCUMENTED = ['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED', 'LIMIT_EXCEEDED', 'BAD_REQUEST', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED'];
/** What must never reach a client: SQL, database errors, stack frames, source paths. */
const LEAKS = [/\bSELECT\b/, /\bINSERT\b/, /relation "/, /syntax error/, /invalid input syntax/, /out of range/, /QueryFailedError/, /\bat [\w.$<>]+ \(/, /node_modules/, /\.ts:\d+/, /"stacktrace"/];

const ADMIN_EMAIL = uniqueEmail('fuzz-admin');
let t: TestHerald;
let owner: Account;
let admin: Account;
let tenantId: string;
let tried = 0;
const found: string[] = [];

beforeAll(async () => {
  t = await startTestHerald({
    PLATFORM_ADMIN_EMAILS: ADMIN_EMAIL,
    // The inputs are the subject here, not the rate limits and throttling (tested elsewhere).
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_PER_ACCOUNT_PER_MINUTE: '1000000',
    LOGIN_THROTTLE_AFTER_FAILURES: '1000',
    LOGIN_THROTTLE_IP_AFTER_FAILURES: '100000',
    LOGIN_LOCK_AFTER_FAILURES: '100000',
  });
  owner = await signUp(t);
  admin = await signUp(t, ADMIN_EMAIL, { verified: true });
  tenantId = (await createTenant(t, owner)).id;
});
afterAll(async () => {
  // eslint-disable-next-line no-console
  console.log(`input properties: ${tried} requests with generated variables; findings: ${found.length ? found.join('; ') : 'none'}`);
  await t.stop();
});

const huge = fc.oneof(
  fc.integer({ min: 1_000, max: 90_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 500, max: 20_000 }).map((n) => '𝔘\u0000é'.repeat(n)),
);
const nasty = fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', '\u202e', '\ufeff', "'; DROP TABLE users; --", '%', '_', '\\', '"', '-1', '0', '1e309', '9'.repeat(19), '9223372036854775808', '-9223372036854775809', 'null', '00000000-0000-0000-0000-000000000000', 'ADMIN@EXAMPLE.COM', '../../etc/passwd', '${jndi:x}', '<script>');
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 3, arbitrary: nasty },
  { weight: 1, arbitrary: huge },
  { weight: 2, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
);
const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }));
const value = fc.oneof({ weight: 5, arbitrary: text }, { weight: 1, arbitrary: wrongType });
const id = () => fc.oneof(value, fc.uuid(), fc.constant(tenantId));
const role = fc.oneof(fc.constantFrom('OWNER', 'ADMIN', 'MEMBER', 'owner', 'ROOT'), value);
const int = fc.oneof(fc.integer({ min: -1_000, max: 1_000 }), fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53), value);
/** An input object: any subset of its fields, sometimes an extra one, sometimes not an object. */
const input = (fields: string[]) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.record(Object.fromEntries([...fields, 'extra'].map((field) => [field, value])), { requiredKeys: fields.slice(0, 1) }) },
    { weight: 1, arbitrary: wrongType },
  );

type Who = 'anonymous' | 'owner' | 'admin';
type Vars = Record<string, unknown>;
/** [name, document, who sends it, generated variables, plausible variables (for the edge sweep)]. */
const operations: [string, string, Who, () => fc.Arbitrary<Vars>, () => Vars][] = [
  ['register', REGISTER, 'anonymous', () => fc.record({ input: input(['email', 'password', 'name']) }), () => ({ input: { email: uniqueEmail('fuzz'), password: 'a fine password', name: 'Fuzz' } })],
  ['login', LOGIN, 'anonymous', () => fc.record({ input: input(['email', 'password', 'deviceToken']) }), () => ({ input: { email: owner.email, password: 'wrong password', deviceToken: 'not-a-token' } })],
  ['refreshToken', REFRESH, 'anonymous', () => fc.record({ token: value }), () => ({ token: 'not-a-token' })],
  ['logout', LOGOUT, 'anonymous', () => fc.record({ refreshToken: value }), () => ({ refreshToken: 'not-a-token' })],
  ['createTenant', CREATE_TENANT, 'owner', () => fc.record({ input: input(['name', 'slug']) }), () => ({ input: { name: 'Fuzz', slug: uniqueSlug('fuzz') } })],
  ['updateTenant', UPDATE_TENANT, 'owner', () => fc.record({ id: id(), input: input(['name', 'slug']) }), () => ({ id: tenantId, input: { name: 'Fuzz' } })],
  ['deleteTenant', DELETE_TENANT, 'owner', () => fc.record({ id: fc.oneof(value, fc.uuid()) }), () => ({ id: '0190a000-0000-7000-8000-000000000000' })],
  ['addMember', ADD_MEMBER, 'admin', () => fc.record({ tenantId: id(), email: value, role }), () => ({ tenantId, email: uniqueEmail('nobody'), role: 'MEMBER' })],
  ['inviteMember', INVITE_MEMBER, 'owner', () => fc.record({ tenantId: id(), email: value, role }), () => ({ tenantId, email: uniqueEmail('invitee'), role: 'MEMBER' })],
  ['resendInvitation', RESEND_INVITATION, 'owner', () => fc.record({ id: fc.oneof(value, fc.uuid()) }), () => ({ id: '0190a000-0000-7000-8000-000000000000' })],
  ['revokeInvitation', REVOKE_INVITATION, 'owner', () => fc.record({ id: fc.oneof(value, fc.uuid()) }), () => ({ id: '0190a000-0000-7000-8000-000000000000' })],
  ['acceptInvitation', ACCEPT_INVITATION, 'owner', () => fc.record({ token: value }), () => ({ token: 'not-a-token' })],
  ['declineInvitation', DECLINE_INVITATION, 'anonymous', () => fc.record({ token: value }), () => ({ token: 'not-a-token' })],
  ['leaveTenant', LEAVE_TENANT, 'owner', () => fc.record({ tenantId: id() }), () => ({ tenantId })],
  ['verifyEmail', VERIFY_EMAIL, 'anonymous', () => fc.record({ token: value }), () => ({ token: 'not-a-token' })],
  ['resendVerificationEmail', 'mutation { resendVerificationEmail }', 'owner', () => fc.constant({}), () => ({})],
  ['requestPasswordReset', 'mutation($e: String!) { requestPasswordReset(email: $e) }', 'anonymous', () => fc.record({ e: value }), () => ({ e: uniqueEmail('nobody') })],
  ['resetPassword', 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', 'anonymous', () => fc.record({ t: value, p: value }), () => ({ t: 'not-a-token', p: 'a fine password' })],
  ['changePassword', 'mutation($c: String!, $p: String!) { changePassword(currentPassword: $c, newPassword: $p) { expiresIn } }', 'owner', () => fc.record({ c: value, p: value }), () => ({ c: 'not the password', p: 'a fine password' })],
  ['changeEmail', 'mutation($e: String!, $c: String!) { changeEmail(newEmail: $e, currentPassword: $c) }', 'owner', () => fc.record({ e: value, c: value }), () => ({ e: uniqueEmail('moved'), c: 'not the password' })],
  ['deleteAccount', 'mutation($p: String!) { deleteAccount(password: $p) }', 'owner', () => fc.record({ p: value }), () => ({ p: 'not the password' })],
  ['revokeSession', 'mutation($id: ID!) { revokeSession(id: $id) }', 'owner', () => fc.record({ id: fc.oneof(value, fc.uuid()) }), () => ({ id: '0190a000-0000-7000-8000-000000000000' })],
  ['unlockAccount', 'mutation($e: String!) { unlockAccount(email: $e) }', 'admin', () => fc.record({ e: value }), () => ({ e: uniqueEmail('nobody') })],
  ['sendVerificationEmail', 'mutation($e: String!) { sendVerificationEmail(email: $e) }', 'admin', () => fc.record({ e: value }), () => ({ e: uniqueEmail('nobody') })],
  ['endUserSessions', 'mutation($e: String!) { endUserSessions(email: $e) }', 'admin', () => fc.record({ e: value }), () => ({ e: uniqueEmail('nobody') })],
  ['changeMemberRole', CHANGE_ROLE, 'owner', () => fc.record({ tenantId: id(), userId: fc.oneof(value, fc.uuid()), role }), () => ({ tenantId, userId: admin.userId, role: 'MEMBER' })],
  ['removeMember', REMOVE_MEMBER, 'owner', () => fc.record({ tenantId: id(), userId: fc.oneof(value, fc.uuid()) }), () => ({ tenantId, userId: admin.userId })],
  ['retryTenantOnboarding', RETRY_ONBOARDING, 'admin', () => fc.record({ id: id() }), () => ({ id: tenantId })],
  ['retryDelivery', 'mutation($id: ID!) { retryDelivery(id: $id) { id status } }', 'admin', () => fc.record({ id: value }), () => ({ id: '1' })],
  ['retryDeadDeliveries', 'mutation($l: String!) { retryDeadDeliveries(listener: $l) }', 'admin', () => fc.record({ l: value }), () => ({ l: 'send-email' })],
  // Queries take user input too: ids, slugs, cursors and page sizes.
  ['tenant', TENANT, 'owner', () => fc.record({ id: id(), slug: value }, { requiredKeys: [] }), () => ({ slug: 'acme' })],
  ['tenants', TENANTS, 'owner', () => fc.record({ first: int, after: value }, { requiredKeys: [] }), () => ({ first: 10, after: null })],
  ['events', 'query($t: ID, $n: [String!], $a: String, $f: Int) { events(tenantId: $t, names: $n, after: $a, first: $f) { edges { cursor } } }', 'owner', () => fc.record({ t: id(), n: fc.oneof(fc.array(text, { maxLength: 5 }), value), a: value, f: int }, { requiredKeys: [] }), () => ({ t: tenantId, n: ['tenant.created'], a: '0', f: 10 })],
  ['invitations', 'query($t: ID!, $s: InvitationStatus) { invitations(tenantId: $t, status: $s) { id } }', 'owner', () => fc.record({ t: id(), s: fc.oneof(fc.constantFrom('PENDING', 'EXPIRED'), value) }, { requiredKeys: ['t'] }), () => ({ t: tenantId, s: 'PENDING' })],
  ['auditLog', AUDIT_LOG, 'owner', () => fc.record({ tenantId: id(), first: int, after: value }, { requiredKeys: ['tenantId'] }), () => ({ tenantId, first: 10, after: '0' })],
  ['deliveries', 'query($s: DeliveryStatus, $l: String, $f: Int, $a: String) { deliveries(status: $s, listener: $l, first: $f, after: $a) { edges { cursor } } }', 'admin', () => fc.record({ s: fc.oneof(fc.constantFrom('DEAD', 'DONE'), value), l: value, f: int, a: value }, { requiredKeys: [] }), () => ({ s: 'DEAD', l: 'send-email', f: 10, a: '1' })],
];

/** Values that broke similar servers: NUL (PostgreSQL text cannot hold it), lone surrogates, bigint overflow, sizes, types. */
const EDGES: unknown[] = ['', '\u0000', 'a\u0000b', '\ud800', 'A\udc00', 'ada\ud800@example.com', '9223372036854775808', '-1', '𝔘'.repeat(1_000), 'x'.repeat(90_000), 0, true, null, [], {}];

/** Each plausible variable set with one value (or one field of an input object) replaced by each edge. */
function edgeVariants(base: Vars): Vars[] {
  const variants: Vars[] = [];
  for (const [key, plausible] of Object.entries(base)) {
    const paths = plausible && typeof plausible === 'object' && !Array.isArray(plausible) ? Object.keys(plausible) : [null];
    for (const field of paths) {
      for (const edge of EDGES) {
        variants.push({ ...base, [key]: field === null ? edge : { ...(plausible as Vars), [field]: edge } });
      }
    }
  }
  return variants;
}

/** The reasons a response breaks the property (none when it holds). */
function violations(response: GraphQLResponse, sent: string): string[] {
  const problems: string[] = [];
  if (response.status >= 500) problems.push(`HTTP ${response.status}`);
  if (response.data === undefined && response.errors === undefined) problems.push('no GraphQL body');
  for (const error of response.errors ?? []) {
    const code = error.extensions?.code;
    if (!DOCUMENTED.includes(code)) problems.push(`code ${code}: ${error.message}`);
  }
  for (const leak of LEAKS) {
    if (leak.test(response.text) && !leak.test(sent)) problems.push(`leaks ${leak}`);
  }
  return problems;
}

/** Sends one variable set and returns what breaks the property. */
async function attempt(name: string, query: string, who: Who, vars: Vars): Promise<string[]> {
  const token = who === 'owner' ? owner.token : who === 'admin' ? admin.token : undefined;
  tried++;
  const response = await gql(t.url, query, vars, { token });
  const problems = violations(response, JSON.stringify(vars));
  if (problems.length > 0) found.push(`${name} ${JSON.stringify(vars).slice(0, 120)}: ${problems.join(', ')}`);
  return problems;
}

describe('every operation answers arbitrary variables with a documented outcome', () => {
  it.each(operations)('%s: generated variables', async (name, query, who, variables) => {
    await fc.assert(
      fc.asyncProperty(variables(), async (vars) => expect(await attempt(name, query, who, vars)).toEqual([])),
      { numRuns: RUNS_PER_OPERATION },
    );
  });

  it.each(operations)('%s: each edge value in each position', async (name, query, who, _variables, plausible) => {
    const failures: string[] = [];
    for (const vars of edgeVariants(plausible())) {
      const problems = await attempt(name, query, who, vars);
      if (problems.length > 0) failures.push(`${JSON.stringify(vars).slice(0, 120)}: ${problems.join(', ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('leaves the server answering, with no unexpected error logged', async () => {
    expect((await t.gql(ME, {}, owner.token)).data!.me.id).toBe(owner.userId);
    expect(t.logs.filter((line) => line.msg === 'unexpected error' || line.msg === 'unexpected error before GraphQL')).toEqual([]);
  });
});
