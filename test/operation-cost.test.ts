import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { errorCode } from './support/graphql-client';
import { startTestHerald, type TestHerald } from './support/herald';
import { firstAnswer, openRawSocket } from './support/raw-ws';
import { createActiveTenant, signUp, type Account } from './support/tenants';

/**
 * Issue 13, finding 1. Before the fix, `auditLog(first: $f)` skipped the cost limit (graphql-armor
 * reads only literal `first`), so 16 aliased pages of 200 entries with their `actor` ran, one
 * users query per entry: about 3,200 queries in one request. Now the cost is computed with the
 * variables, and `actor` is batched per request.
 */
let t: TestHerald;
let owner: Account;
let tenantId: string;
beforeAll(async () => {
  t = await startTestHerald();
  owner = await signUp(t);
  tenantId = (await createActiveTenant(t, owner)).id;
  // 200 entries by 40 actors (the owner and 39 ids of no account), newest first.
  const schema = `tenant_${tenantId.replace(/-/g, '')}`;
  const actors = [owner.userId, ...Array.from({ length: 39 }, () => randomUUID())];
  await t.db.query(
    `INSERT INTO "${schema}".audit_log (event_id, actor_id, action, occurred_at)
     SELECT gen_random_uuid(), ($1::uuid[])[1 + i % 40], 'tenant.updated', now() FROM generate_series(1, 200) AS i`,
    [actors],
  );
});
afterAll(() => t.stop());

const PAGE = `auditLog(tenantId: $tenantId, first: $f) { edges { node { id action actor { id email name } } } }`;
/** 15 aliased pages and one plain: the attack of the finding. */
const attack = (page: string) =>
  `query Attack($tenantId: ID!${page.includes('$f') ? ', $f: Int' : ''}) { ${page} ${Array.from({ length: 15 }, (_, i) => `a${i}: ${page}`).join(' ')} }`;

describe('the cost of an operation with variables', () => {
  it('refuses first: $f = 200 as it refuses first: 200 written out, with the same cost', async () => {
    const withVariable = await t.gql(attack(PAGE), { tenantId, f: 200 }, owner.token);
    const literal = await t.gql(attack(PAGE.replace('$f', '200')), { tenantId }, owner.token);
    expect(withVariable.status).toBe(400);
    expect(errorCode(withVariable)).toBe('LIMIT_EXCEEDED');
    expect(withVariable.errors![0].extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'cost', max: 20_000 });
    expect(withVariable.errors![0].message).toBe(literal.errors![0].message);
    expect(withVariable.data).toBeUndefined();
  });

  it('counts an absent first as the default page of 50', async () => {
    const absent = await t.gql(attack(PAGE.replace(', first: $f', '')), { tenantId }, owner.token);
    const fifty = await t.gql(attack(PAGE.replace('$f', '50')), { tenantId }, owner.token);
    expect(errorCode(absent)).toBe('LIMIT_EXCEEDED');
    expect(absent.errors![0].message).toBe(fifty.errors![0].message);
  });

  it('costs a page over the largest allowed as the largest, so the answer names first', async () => {
    const huge = await t.gql(`query($tenantId: ID!, $f: Int) { ${PAGE} }`, { tenantId, f: 100_000 }, owner.token);
    expect(huge.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const attackOfHuge = await t.gql(attack(PAGE), { tenantId, f: 100_000 }, owner.token);
    const attackOf200 = await t.gql(attack(PAGE), { tenantId, f: 200 }, owner.token);
    expect(attackOfHuge.errors![0].message).toBe(attackOf200.errors![0].message);
  });

  it('refuses it over WebSocket too', async () => {
    const raw = await openRawSocket(t.url);
    try {
      await raw.init(owner.token);
      raw.subscribe('attack', attack(PAGE), { tenantId, f: 200 });
      const answer = await firstAnswer(raw, 'attack');
      expect(answer.type).toBe('error');
      expect(answer.payload).toEqual([expect.objectContaining({ extensions: { code: 'LIMIT_EXCEEDED', limit: 'cost', max: 20_000 } })]);
    } finally {
      raw.close();
    }
  });
});

describe('actors of an audit page', () => {
  it('are loaded with one query per request, not one per entry', async () => {
    const spy = jest.spyOn(pg.Client.prototype, 'query');
    try {
      const response = await t.gql(`query($tenantId: ID!, $f: Int) { ${PAGE} }`, { tenantId, f: 200 }, owner.token);
      expect(response.errors).toBeUndefined();
      expect(response.data!.auditLog.edges).toHaveLength(200);
      expect(response.data!.auditLog.edges.filter((e: { node: { actor: unknown } }) => e.node.actor)).toHaveLength(5);
      const usersQueries = spy.mock.calls.filter(([query]) => /FROM "users"/.test(typeof query === 'string' ? query : String((query as { text?: string }).text)));
      expect(usersQueries.length).toBeLessThanOrEqual(2); // the viewer's session check may read users too
    } finally {
      spy.mockRestore();
    }
  });
});

describe("a request's hold on the database", () => {
  it('runs every pooled statement under the statement timeout', async () => {
    const [row] = await t.herald.parts.dataSource.query(`SELECT current_setting('statement_timeout') AS timeout`);
    expect(row.timeout).toBe('30s');
  });
});
