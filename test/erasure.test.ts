import { randomBytes } from 'node:crypto';
import { CHANGE_EMAIL, DELETE_ACCOUNT, REQUEST_RESET, gqlFrom, makeDueNow } from './support/accounts';
import { UNFINISHED } from './support/deliveries';
import { LOGIN, ME, REGISTER, errorCode, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitForLinkToken } from './support/mailbox';
import {
  ACCEPT_INVITATION,
  CREATE_TENANT,
  INVITE_MEMBER,
  VERIFY_EMAIL,
  createActiveTenant,
  signUp,
  uniqueSlug,
  waitForStatus,
  type Account,
} from './support/tenants';
import { waitFor } from './support/wait';
import { connect } from './support/ws-client';

/**
 * The right to erasure, tried on a person who used everything: registered, verified, failed and
 * succeeded to sign in, changed their address, owned a tenant, joined another by invitation, asked
 * for a reset, then deleted the account. Afterwards every text, json and jsonb column of every
 * schema is searched for their addresses, name, client address and user agent.
 */
let t: TestHerald;
const PASSWORD = 'correct horse battery';
const person = {
  name: `Zebulon Quill ${randomBytes(3).toString('hex')}`,
  email: uniqueEmail('erasable'),
  movedTo: uniqueEmail('erasable-moved'),
  client: { ip: `10.${1 + (randomBytes(1)[0] % 200)}.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 250)}`, userAgent: `ErasureProbe/${randomBytes(4).toString('hex')}` },
};

beforeAll(async () => {
  t = await startTestHerald({ TRUST_PROXY: '1' });
});
afterAll(() => t.stop());

const as = (query: string, variables: Record<string, unknown> = {}, token?: string) => gqlFrom(t, person.client, query, variables, token);
const must = async (response: Promise<GraphQLResponse>) => {
  const settled = await response;
  if (settled.errors) throw new Error(JSON.stringify(settled.errors));
  return settled.data!;
};

/** Every column of a text, json or jsonb kind in every schema of the database, with the rows that contain `needle`. */
async function findEverywhere(needle: string): Promise<string[]> {
  const columns = await t.db.query<{ schema: string; table: string; column: string }>(
    `SELECT c.table_schema AS schema, c.table_name AS table, c.column_name AS column
     FROM information_schema.columns c JOIN information_schema.tables tb
       ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
     WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
       AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')`,
  );
  expect(columns.length).toBeGreaterThan(30); // the search covers the landlord tables and the tenants' schemas
  const found: string[] = [];
  for (const { schema, table, column } of columns) {
    const [{ n }] = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}"."${table}" WHERE "${column}"::text ILIKE $1`,
      [`%${needle}%`],
    );
    if (n > 0) found.push(`${schema}.${table}.${column} (${n})`);
  }
  return found;
}

describe('deleteAccount', () => {
  let me: Account;
  let colleague: Account;
  let ownTenant: { id: string };

  beforeAll(async () => {
    const registered = (await must(as(REGISTER, { input: { email: person.email, password: PASSWORD, name: person.name } }))).register;
    me = { token: registered.accessToken, userId: registered.user.id, email: person.email };
    await must(as(VERIFY_EMAIL, { token: await waitForLinkToken(t.smtp, person.email, '/console/verify-email') }));
    expect(errorCode(await as(LOGIN, { input: { email: person.email, password: 'not my password' } }))).toBe('UNAUTHENTICATED');
    me.token = (await must(as(LOGIN, { input: { email: person.email, password: PASSWORD } }))).login.accessToken;

    // Their own tenant, and a colleague's they join by invitation.
    ownTenant = (await must(as(CREATE_TENANT, { input: { name: 'The erasure team', slug: uniqueSlug('erase') } }, me.token))).createTenant;
    await waitForStatus(t, ownTenant.id, 'ACTIVE');
    colleague = await signUp(t, undefined, { verified: true });
    const theirs = await createActiveTenant(t, colleague);
    await must(t.gql(INVITE_MEMBER, { tenantId: theirs.id, email: person.email, role: 'ADMIN' }, colleague.token));
    await must(as(ACCEPT_INVITATION, { token: await waitForLinkToken(t.smtp, person.email, '/console/invitations/accept') }, me.token));

    // A second address, and a reset asked for.
    await must(as(CHANGE_EMAIL, { newEmail: person.movedTo, password: PASSWORD }, me.token));
    await must(as(VERIFY_EMAIL, { token: await waitForLinkToken(t.smtp, person.movedTo, '/console/verify-email') }));
    await must(as(REQUEST_RESET, { email: person.movedTo }));
    await waitForLinkToken(t.smtp, person.movedTo, '/console/reset-password');
    // Whatever these set off has run, so the data is everywhere it goes.
    await waitFor(async () => (await t.db.query(`SELECT 1 FROM deliveries WHERE ${UNFINISHED}`)).length === 0, { what: 'every delivery' });
    // The search finds them while they are there.
    expect(await findEverywhere(person.client.ip)).not.toEqual([]);
    expect(await findEverywhere(person.name)).not.toEqual([]);
  });

  it('asks for the password, and refuses while the account is the last owner of a tenant', async () => {
    const wrong = await as(DELETE_ACCOUNT, { password: 'not my password' }, me.token);
    expect([errorCode(wrong), wrong.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'password']);
    const lastOwner = await as(DELETE_ACCOUNT, { password: PASSWORD }, me.token);
    expect(errorCode(lastOwner)).toBe('CONFLICT');
    expect(lastOwner.errors![0].message).toMatch(/You are the last owner of/);
    expect((await must(t.gql(ME, {}, me.token))).me.id).toBe(me.userId);
  });

  it('erases the account: sessions and sockets end, and its address, name, IP and user agent are nowhere in the database', async () => {
    // A second owner, so the account may go.
    await must(as(INVITE_MEMBER, { tenantId: ownTenant.id, email: colleague.email, role: 'OWNER' }, me.token));
    await must(t.gql(ACCEPT_INVITATION, { token: await waitForLinkToken(t.smtp, colleague.email, '/console/invitations/accept') }, colleague.token));
    const socket = connect(t.url, me.token);
    await socket.connected;
    const mailsBefore = t.smtp.to(person.email).length + t.smtp.to(person.movedTo).length;

    expect((await must(as(DELETE_ACCOUNT, { password: PASSWORD }, me.token))).deleteAccount).toBe(true);
    expect((await socket.closed).code).toBe(4403);
    expect(errorCode(await t.gql(ME, {}, me.token))).toBe('UNAUTHENTICATED');

    // The reminder of the registration, due a day later, finds nobody to remind.
    await makeDueNow(t, 'send-verification-reminder');
    await waitFor(async () => (await t.db.query(`SELECT 1 FROM deliveries WHERE ${UNFINISHED}`)).length === 0, { what: 'every delivery' });
    expect(t.smtp.to(person.email).length + t.smtp.to(person.movedTo).length).toBe(mailsBefore);

    for (const needle of [person.email, person.movedTo, person.name, person.client.ip, person.client.userAgent]) {
      expect({ needle, found: await findEverywhere(needle) }).toEqual({ needle, found: [] });
    }

    // The ids stay, so history adds up: the account row, its events, its tenant's ownership.
    const [row] = await t.db.query<{ email: string; name: string; deleted_at: Date | null }>(`SELECT email, name, deleted_at FROM users WHERE id = $1`, [me.userId]);
    expect(row).toMatchObject({ email: `erased:${me.userId}`, name: '[erased]', deleted_at: expect.any(Date) });
    const [{ n }] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE actor_id = $1`, [me.userId]);
    expect(n).toBeGreaterThan(20);
    const [deleted] = await t.db.query<{ payload: unknown; context: { ip: string | null } }>(`SELECT payload, context FROM events WHERE name = 'user.deleted' AND actor_id = $1`, [me.userId]);
    expect(deleted).toEqual({ payload: { userId: me.userId }, context: expect.objectContaining({ ip: null, userAgent: null }) });
    const left = await t.db.query(`SELECT tenant_id FROM events WHERE name = 'tenant.member.left' AND payload->>'userId' = $1`, [me.userId]);
    expect(left).toHaveLength(2);

    // Nobody signs in with it any more (a try writes the address it names again, so it comes last);
    // the address is free again: a new person can use it, as a new account.
    expect(errorCode(await t.gql(LOGIN, { input: { email: person.movedTo, password: PASSWORD } }))).toBe('UNAUTHENTICATED');
    const again = await must(t.gql(REGISTER, { input: { email: person.email, password: PASSWORD, name: 'Someone New' } }));
    expect(again.register.user.id).not.toBe(me.userId);
  });
});
