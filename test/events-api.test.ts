import { LOGIN, REGISTER, errorCode } from './support/graphql-client';
import { createTenant, join, signUp, verifyEmail } from './support/tenants';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { waitFor } from './support/wait';

let t: TestHerald;
let admin: string;
let user: string;
const adminEmail = uniqueEmail('admin');

async function register(email: string) {
  const response = await t.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'Reader' } });
  return response.data!.register.accessToken as string;
}

beforeAll(async () => {
  t = await startTestHerald({ PLATFORM_ADMIN_EMAILS: adminEmail });
  admin = await register(adminEmail);
  await verifyEmail(t, adminEmail); // a listed address is an admin once verified
  user = await register(uniqueEmail());
  for (let i = 0; i < 3; i++) await register(uniqueEmail());
});
afterAll(() => t.stop());

const EVENTS = `query Events($names: [String!], $after: String, $first: Int, $tenantId: ID) {
  events(names: $names, after: $after, first: $first, tenantId: $tenantId) {
    edges { cursor node { id seq name tenantId actorId occurredAt payload } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('events', () => {
  it('pages through all events in seq order for a platform admin, without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const response: any = await t.gql(EVENTS, { first: 4, after }, admin);
      expect(response.errors).toBeUndefined();
      const { edges, pageInfo } = response.data.events;
      seen.push(...edges.map((e: any) => e.node.seq));
      edges.forEach((e: any) => expect(e.cursor).toBe(e.node.seq));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    // Listeners keep committing while we page; everything up to the last seq seen must be there.
    const stored = await t.db.query<{ seq: string }>('SELECT seq::text FROM events WHERE seq <= $1 ORDER BY events.seq', [
      seen.at(-1),
    ]);
    expect(seen).toEqual(stored.map((r) => r.seq));
    expect(seen.length).toBeGreaterThanOrEqual(15); // 5 registrations × 3 events, plus system events
  });

  it('filters by name and carries the typed payload', async () => {
    const response = await t.gql(EVENTS, { names: ['user.registered'], first: 50 }, admin);
    const nodes = response.data!.events.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(5);
    expect(nodes[0].payload).toEqual({ userId: nodes[0].actorId, email: adminEmail, name: 'Reader' });
    for (const node of nodes) expect(JSON.stringify(node.payload)).not.toMatch(/password|hash|token/i);
  });

  it('refuses unknown names, bad cursors and page sizes with the field to fix', async () => {
    const unknown = await t.gql(EVENTS, { names: ['user.exploded'] }, admin);
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0].extensions!.field).toBe('names');
    const cursor = await t.gql(EVENTS, { after: "1; DROP TABLE events" }, admin);
    expect(cursor.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const size = await t.gql(EVENTS, { first: 1000 }, admin);
    expect(size.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('shows all events to platform admins only', async () => {
    expect(errorCode(await t.gql(EVENTS, {}, user))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(EVENTS, {}))).toBe('UNAUTHENTICATED');
  });

  it("answers NOT_FOUND for a tenant's events to a non-member", async () => {
    const response = await t.gql(EVENTS, { tenantId: '01a21d98-5bb6-7069-b217-62a6589734f9' }, user);
    expect(errorCode(response)).toBe('NOT_FOUND');
  });
});

describe('eventStats', () => {
  it('counts events per name and deliveries per listener', async () => {
    const stats = await waitFor(async () => {
      const response = await t.gql(
        `{ eventStats { events { name count } listeners { name done pending retrying dead oldestPendingAgeSeconds } } }`,
        {},
        admin,
      );
      const listeners = response.data!.eventStats.listeners;
      const welcome = listeners.find((l: any) => l.name === 'send-welcome-email');
      return welcome?.done === 5 && response.data!.eventStats;
    }, { what: 'five welcome emails to be queued' });
    expect(stats.events).toContainEqual({ name: 'user.registered', count: 5 });
    const audit = stats.listeners.find((l: any) => l.name === 'record-audit-entry');
    expect(audit).toMatchObject({ dead: 0, retrying: 0 });
    expect(errorCode(await t.gql(`{ eventStats { events { name } } }`, {}, user))).toBe('FORBIDDEN');
  });
});

// After eventStats, which counts the accounts registered so far.
describe("a tenant's events", () => {
  it("shows a tenant's OWNER the security events about its members, as tenantEvents does; a MEMBER sees none", async () => {
    const owner = await signUp(t);
    const member = await signUp(t);
    const tenant = await createTenant(t, owner);
    await join(t, owner, tenant.id, member, 'MEMBER');
    const failed = await t.gql(LOGIN, { input: { email: member.email, password: 'not the password' } });
    expect(errorCode(failed)).toBe('UNAUTHENTICATED');

    const names = ['auth.login.failed'];
    const seenByOwner = await t.gql(EVENTS, { tenantId: tenant.id, names }, owner.token);
    expect(seenByOwner.data!.events.edges.map((edge: { node: { payload: { userId: string } } }) => edge.node.payload.userId)).toEqual([
      member.userId,
    ]);
    const seenByMember = await t.gql(EVENTS, { tenantId: tenant.id, names }, member.token);
    expect(seenByMember.data!.events.edges).toEqual([]);
  });
});
