import { LOGIN } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { CHANGE_ROLE, DELETE_TENANT, REMOVE_MEMBER, UPDATE_TENANT, createActiveTenant, join, signUp, type Account } from './support/tenants';
import { waitFor } from './support/wait';
import { SECURITY_EVENTS, TENANT_EVENTS, connect } from './support/ws-client';

let t: TestHerald;
let owner: Account;
let member: Account;
let admin: Account;
let tenant: { id: string };
let other: { id: string };

beforeAll(async () => {
  t = await startTestHerald();
  owner = await signUp(t);
  member = await signUp(t);
  admin = await signUp(t);
  tenant = await createActiveTenant(t, owner);
  other = await createActiveTenant(t, await signUp(t));
  for (const [account, role] of [
    [member, 'MEMBER'],
    [admin, 'ADMIN'],
  ] as const) {
    await join(t, owner, tenant.id, account, role);
  }
});
afterAll(() => t.stop());

const eventsOf = (recording: { results: { data?: any }[] }) =>
  recording.results.map((r) => r.data?.tenantEvents).filter(Boolean);

/** Subscribes and waits until the subscription is live (the stream reader is open for it). */
async function subscribe(token: string, variables: Record<string, unknown>, query = TENANT_EVENTS) {
  const ws = connect(t.url, token);
  await ws.connected;
  const before = t.herald.liveStats().subscriptions;
  const live = ws.subscribe(query, variables);
  await waitFor(() => t.herald.liveStats().subscriptions > before || live.results.length > 0 || live.completed, {
    what: 'the subscription to start',
  });
  return { ws, live };
}

describe('tenantEvents', () => {
  it("replays a tenant's history from a cursor: onboarding in order, nothing of another tenant", async () => {
    const { ws, live } = await subscribe(owner.token, { tenantId: tenant.id, after: '0' });
    const stored = await t.db.query<{ seq: string }>(
      `SELECT seq::text FROM events WHERE tenant_id = $1 OR $1 = ANY(audience_tenant_ids) ORDER BY events.seq`,
      [tenant.id],
    );
    await waitFor(() => eventsOf(live).length >= stored.length, { what: 'the replay' });
    expect(eventsOf(live).slice(0, stored.length).map((e: any) => e.seq)).toEqual(stored.map((r) => r.seq));
    const names = eventsOf(live).map((e: any) => e.name);
    expect(names.indexOf('tenant.created')).toBeLessThan(names.indexOf('tenant.onboarding.completed'));
    for (const event of eventsOf(live)) {
      expect(event.tenantId === tenant.id || event.name.startsWith('auth.')).toBe(true);
      expect(event.tenantId).not.toBe(other.id);
    }
    ws.dispose();
  });

  it("delivers members' security events to OWNER and ADMIN, and never to a MEMBER", async () => {
    const forAdmin = await subscribe(admin.token, { tenantId: tenant.id });
    const forMember = await subscribe(member.token, { tenantId: tenant.id });
    await t.gql(LOGIN, { input: { email: member.email, password: 'not the password' } });
    await waitFor(
      () => eventsOf(forAdmin.live).some((e: any) => e.name === 'auth.login.failed' && e.payload.userId === member.userId),
      { what: "the member's failed login on the admin's dashboard" },
    );
    // The member's stream got the same wake-up; give it the same chance, then check.
    await t.gql(UPDATE_TENANT, { id: tenant.id, input: { name: 'After the failed login' } }, owner.token);
    await waitFor(() => eventsOf(forMember.live).some((e: any) => e.name === 'tenant.updated'), {
      what: 'a later tenant event on the member stream',
    });
    expect(eventsOf(forMember.live).filter((e: any) => e.name.startsWith('auth.'))).toEqual([]);
    forAdmin.ws.dispose();
    forMember.ws.dispose();
  });

  it('answers NOT_FOUND to a non-member and FORBIDDEN for security events to a MEMBER', async () => {
    const stranger = await signUp(t);
    const { ws, live } = await subscribe(stranger.token, { tenantId: tenant.id });
    await waitFor(() => live.results.length > 0 || live.error, { what: 'an answer' });
    expect(live.results[0]?.errors?.[0]?.extensions?.code ?? (live.error as any)?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const security = await subscribe(member.token, { tenantId: tenant.id }, SECURITY_EVENTS);
    await waitFor(() => security.live.results.length > 0 || security.live.error, { what: 'an answer' });
    const code =
      security.live.results[0]?.errors?.[0]?.extensions?.code ?? (security.live.error as any)?.[0]?.extensions?.code;
    expect(code).toBe('FORBIDDEN');
    ws.dispose();
    security.ws.dispose();
  });

  it('ends the subscription of a member removed from the tenant', async () => {
    const leaving = await signUp(t, uniqueEmail('leaving'));
    await join(t, owner, tenant.id, leaving, 'MEMBER');
    const { ws, live } = await subscribe(leaving.token, { tenantId: tenant.id });
    const removed = await t.gql(REMOVE_MEMBER, { tenantId: tenant.id, userId: leaving.userId }, owner.token);
    expect(removed.errors).toBeUndefined();
    await waitFor(() => live.completed, { what: 'the subscription to end', timeoutMs: 2_000 });
    expect(live.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    ws.dispose();
  });

  it('ends the stream of a removed member who subscribed with the tenant id upper-cased (ids are identities, not spellings)', async () => {
    const leaving = await signUp(t, uniqueEmail('shouting'));
    await join(t, owner, tenant.id, leaving, 'MEMBER');
    const { ws, live } = await subscribe(leaving.token, { tenantId: tenant.id.toUpperCase() });
    // Live as one tenant: an event of the tenant arrives at once (not only at the stream's poll).
    await t.gql(UPDATE_TENANT, { id: tenant.id, input: { name: 'Seen by the shouter' } }, owner.token);
    await waitFor(() => eventsOf(live).some((e: any) => e.name === 'tenant.updated' && e.payload.name === 'Seen by the shouter'), {
      what: 'a live event on the upper-cased subscription',
      timeoutMs: 1_500,
    });
    expect(eventsOf(live).every((e: any) => e.tenantId === tenant.id)).toBe(true);
    // The removal spells both ids in capitals too.
    const removed = await t.gql(REMOVE_MEMBER, { tenantId: tenant.id.toUpperCase(), userId: leaving.userId.toUpperCase() }, owner.token);
    expect(removed.errors).toBeUndefined();
    const [event] = await t.db.query<{ payload: { tenantId: string; userId: string } }>(
      `SELECT payload FROM events WHERE name = 'tenant.member.removed' AND tenant_id = $1 ORDER BY seq DESC LIMIT 1`,
      [tenant.id],
    );
    expect(event.payload).toEqual({ tenantId: tenant.id, userId: leaving.userId });
    await waitFor(() => live.completed, { what: 'the subscription to end', timeoutMs: 2_000 });
    expect(live.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    ws.dispose();
  });

  it('an ADMIN demoted to MEMBER loses the subscriptions that needed the role; resubscribed, sees no security events', async () => {
    const demoted = await signUp(t, uniqueEmail('demoted'));
    await join(t, owner, tenant.id, demoted, 'ADMIN');
    const security = await subscribe(demoted.token, { tenantId: tenant.id }, SECURITY_EVENTS);
    const all = await subscribe(demoted.token, { tenantId: tenant.id });
    const onlyUpdates = await subscribe(demoted.token, { tenantId: tenant.id, names: ['tenant.updated'] });
    // Both see the members' security events while ADMIN.
    await t.gql(LOGIN, { input: { email: member.email, password: 'still not the password' } });
    await waitFor(() => eventsOf(all.live).some((e: any) => e.name === 'auth.login.failed'), { what: 'a security event while ADMIN' });

    const changed = await t.gql(CHANGE_ROLE, { tenantId: tenant.id, userId: demoted.userId, role: 'MEMBER' }, owner.token);
    expect(changed.errors).toBeUndefined();
    for (const { live } of [security, all]) {
      await waitFor(() => live.completed, { what: 'the subscription that needed ADMIN to end', timeoutMs: 2_000 });
      const last = live.results.at(-1);
      expect(last?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(last?.errors?.[0]?.message).toMatch(/MEMBER/);
    }

    // One whose names leave the security events out used nothing of the role: it goes on.
    expect(onlyUpdates.live.completed).toBe(false);

    // Subscribing again gives what a MEMBER sees: tenant events, no security events.
    const again = await subscribe(demoted.token, { tenantId: tenant.id });
    const refused = await subscribe(demoted.token, { tenantId: tenant.id }, SECURITY_EVENTS);
    await waitFor(() => refused.live.results.length > 0 || refused.live.error, { what: 'an answer' });
    expect(refused.live.results[0]?.errors?.[0]?.extensions?.code ?? (refused.live.error as any)?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await t.gql(LOGIN, { input: { email: member.email, password: 'wrong once more' } });
    await t.gql(UPDATE_TENANT, { id: tenant.id, input: { name: 'After the demotion' } }, owner.token);
    await waitFor(() => eventsOf(again.live).some((e: any) => e.payload?.name === 'After the demotion'), { what: 'a tenant event as MEMBER' });
    await waitFor(() => eventsOf(onlyUpdates.live).some((e: any) => e.payload?.name === 'After the demotion'), {
      what: 'the same event on the names-filtered subscription',
    });
    expect(eventsOf(again.live).filter((e: any) => e.name.startsWith('auth.'))).toEqual([]);
    for (const { ws } of [security, all, onlyUpdates, again, refused]) ws.dispose();
  });

  it('a MEMBER promoted to ADMIN keeps the subscription it has (nothing it used was taken away)', async () => {
    const promoted = await signUp(t, uniqueEmail('promoted'));
    await join(t, owner, tenant.id, promoted, 'MEMBER');
    const { ws, live } = await subscribe(promoted.token, { tenantId: tenant.id });
    const changed = await t.gql(CHANGE_ROLE, { tenantId: tenant.id, userId: promoted.userId, role: 'ADMIN' }, owner.token);
    expect(changed.errors).toBeUndefined();
    await t.gql(UPDATE_TENANT, { id: tenant.id, input: { name: 'After the promotion' } }, owner.token);
    await waitFor(() => eventsOf(live).some((e: any) => e.payload?.name === 'After the promotion'), { what: 'the next tenant event' });
    expect(live.completed).toBe(false);
    ws.dispose();
  });

  it('reaches a subscriber on another instance', async () => {
    const peer = await t.startPeer();
    const ws = connect(peer.url, owner.token);
    await ws.connected;
    const live = ws.subscribe(TENANT_EVENTS, { tenantId: tenant.id, names: ['tenant.updated'] });
    await waitFor(() => peer.liveStats().subscriptions === 1, { what: 'the subscription on the peer' });
    await t.gql(UPDATE_TENANT, { id: tenant.id, input: { name: 'Seen on the peer' } }, owner.token);
    // How fast is the bench's business (bench/); here: it arrives, once.
    await waitFor(() => eventsOf(live).length === 1, { what: 'the event on the peer' });
    expect(eventsOf(live).map((e: any) => e.payload?.name)).toEqual(['Seen on the peer']);
    ws.dispose();
  });

  it('ends every subscription to a deleted tenant', async () => {
    const doomed = await createActiveTenant(t, owner);
    const { ws, live } = await subscribe(owner.token, { tenantId: doomed.id });
    const deleted = await t.gql(DELETE_TENANT, { id: doomed.id }, owner.token);
    expect(deleted.errors).toBeUndefined();
    await waitFor(() => live.completed, { what: 'the subscription to end', timeoutMs: 2_000 });
    ws.dispose();
  });
  it('delivers every event of concurrent mutations once, in seq order, though they commit out of seq order', async () => {
    const { ws, live } = await subscribe(owner.token, { tenantId: tenant.id });
    const [{ start }] = await t.db.query<{ start: string }>(`SELECT coalesce(max(seq), 0)::text AS start FROM events`);
    // 8 clients at once, 5 renames each: their transactions append concurrently (the appending
    // lock is shared), so commits overtake seqs; the dashboard must still get each once, in order.
    await Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        for (let i = 0; i < 5; i++) {
          const renamed = await t.gql(UPDATE_TENANT, { id: tenant.id, input: { name: `Renamed ${client}-${i}` } }, owner.token);
          expect(renamed.errors).toBeUndefined();
        }
      }),
    );
    const renames = await t.db.query<{ seq: string }>(
      `SELECT seq::text FROM events WHERE tenant_id = $1 AND name = 'tenant.updated' AND seq > $2 ORDER BY events.seq`,
      [tenant.id, start],
    );
    expect(renames).toHaveLength(40);
    const last = BigInt(renames[renames.length - 1].seq);
    await waitFor(() => eventsOf(live).some((e: any) => BigInt(e.seq) >= last), { what: 'the last renaming event' });
    // Listeners may record more events meanwhile: up to the last one received, the dashboard got
    // exactly the stream's stored events, in seq order.
    const received = eventsOf(live).map((e: any) => e.seq).filter((seq: string) => BigInt(seq) > BigInt(start));
    const stored = await t.db.query<{ seq: string }>(
      `SELECT seq::text FROM events WHERE (tenant_id = $1 OR $1 = ANY(audience_tenant_ids)) AND seq > $2 AND seq <= $3
       ORDER BY events.seq`,
      [tenant.id, start, received[received.length - 1]],
    );
    expect(received).toEqual(stored.map((r) => r.seq));
    ws.dispose();
  });
});

