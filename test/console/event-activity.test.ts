import { errorCode } from '../support/graphql-client';
import { startTestHerald, type TestHerald } from '../support/herald';
import { createActiveTenant, join, signUp, type Account } from '../support/tenants';

const ACTIVITY = `query Activity($tenantId: ID!) { eventActivity(tenantId: $tenantId) { minutes { minute count } upTo hourStart } }`;

interface Activity {
  minutes: { minute: string; count: number }[];
  upTo: string;
  hourStart: string;
}

/** eventActivity: the console's chart of a tenant's last hour, counted as `events` shows them. */
describe('eventActivity', () => {
  let t: TestHerald;
  let owner: Account;
  let member: Account;
  let tenantId: string;

  beforeAll(async () => {
    t = await startTestHerald();
    owner = await signUp(t, undefined, { verified: true });
    member = await signUp(t);
    tenantId = (await createActiveTenant(t, owner)).id;
    await join(t, owner, tenantId, member, 'MEMBER');
  });
  afterAll(() => t?.stop());

  const activity = async (account: Account) => {
    const response = await t.gql<{ eventActivity: Activity }>(ACTIVITY, { tenantId }, account.token);
    expect(response.errors).toBeUndefined();
    return response.data!.eventActivity;
  };
  const visible = (security: boolean) =>
    t.db.query<{ seq: string; name: string }>(
      `SELECT seq::text, name FROM events WHERE (tenant_id = $1 OR $1 = ANY(audience_tenant_ids)) AND occurred_at >= date_trunc('minute', now()) - interval '59 minutes'
         AND ($2 OR name NOT LIKE 'auth.%') ORDER BY seq`,
      [tenantId, security],
    );

  it('counts the last hour per minute, sixty minutes oldest first, with the newest seq counted', async () => {
    const answer = await activity(owner);
    expect(answer.minutes).toHaveLength(60);
    const starts = answer.minutes.map((m) => Date.parse(m.minute));
    expect(starts.every((start, i) => i === 0 || start - starts[i - 1] === 60_000)).toBe(true);
    expect(starts[59]).toBeLessThanOrEqual(Date.now());
    // Listeners may record more events meanwhile: compare with those up to the newest counted.
    const counted = (await visible(true)).filter((event) => BigInt(event.seq) <= BigInt(answer.upTo));
    expect(counted.length).toBeGreaterThan(5);
    expect(counted[counted.length - 1].seq).toBe(answer.upTo);
    expect(answer.minutes.reduce((sum, m) => sum + m.count, 0)).toBe(counted.length);
    expect(answer.hourStart).toBe('0');
  });

  it('counts security events about members only for OWNER and ADMIN, as the stream shows them', async () => {
    // The member signs in: auth.login.attempt and auth.token.created are security events about a member of the tenant.
    const login = await t.gql(`mutation($input: LoginInput!) { login(input: $input) { accessToken } }`, {
      input: { email: member.email, password: 'correct horse battery' },
    });
    expect(login.errors).toBeUndefined();
    const sum = (a: Activity) => a.minutes.reduce((total, m) => total + m.count, 0);
    const upTo = (a: Activity) => (event: { seq: string }) => BigInt(event.seq) <= BigInt(a.upTo);
    const ofOwner = await activity(owner);
    const ofMember = await activity(member);
    const all = (await visible(true)).filter(upTo(ofOwner));
    const withoutSecurity = (await visible(false)).filter(upTo(ofMember));
    expect(all.some((event) => event.name.startsWith('auth.'))).toBe(true);
    expect(sum(ofOwner)).toBe(all.length);
    expect(sum(ofMember)).toBe(withoutSecurity.length);
    expect(withoutSecurity.some((event) => event.name.startsWith('auth.'))).toBe(false);
  });

  it('gives the cursor before the hour, to subscribe from', async () => {
    const [oldest] = await t.db.query<{ id: string; seq: string }>(`SELECT id, seq::text FROM events WHERE tenant_id = $1 ORDER BY seq LIMIT 1`, [tenantId]);
    await t.db.query(`UPDATE events SET occurred_at = now() - interval '2 hours' WHERE id = $1`, [oldest.id]);
    expect((await activity(owner)).hourStart).toBe(oldest.seq);
  });

  it('is NOT_FOUND for an outsider, and refuses a malformed id in words', async () => {
    const outsider = await signUp(t);
    const response = await t.gql(ACTIVITY, { tenantId }, outsider.token);
    expect(errorCode(response)).toBe('NOT_FOUND');
    const anonymous = await t.gql(ACTIVITY, { tenantId });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    const malformed = await t.gql(ACTIVITY, { tenantId: 'not-a-uuid' }, owner.token);
    expect(['BAD_USER_INPUT', 'NOT_FOUND']).toContain(errorCode(malformed));
  });
});
