import type { EventName } from '../src/events/catalog';
import { startTestHerald, type TestHerald } from './support/herald';
import { createActiveTenant, join, signUp, type Account } from './support/tenants';
import { waitFor } from './support/wait';
import { TENANT_EVENTS, connect } from './support/ws-client';

/**
 * Live delivery by group (issue 7): subscribers with the same operation and access scope share one
 * rendering per event, and each still gets exactly the events it may and wants to see, with no
 * gap or duplicate when it resumes with `after` while others receive live.
 */
let t: TestHerald;
let owner: Account;
let admin: Account;
let member: Account;
let tenant: { id: string };

beforeAll(async () => {
  t = await startTestHerald();
  owner = await signUp(t);
  admin = await signUp(t);
  member = await signUp(t);
  tenant = await createActiveTenant(t, owner);
  for (const [account, role] of [
    [admin, 'ADMIN'],
    [member, 'MEMBER'],
  ] as const) {
    await join(t, owner, tenant.id, account, role);
  }
});
afterAll(() => t.stop());

const eventsOf = (recording: { results: { data?: any; errors?: unknown }[] }) =>
  recording.results.map((r) => {
    expect(r.errors).toBeUndefined();
    return r.data.tenantEvents as { seq: string; name: string };
  });

/** Commits one event on the tenant's stream through Herald's own write path. */
async function record(name: EventName, payload: Record<string, unknown>): Promise<void> {
  const origin = { actorId: null, tenantId: tenant.id, context: { requestId: null, ip: null, userAgent: null } };
  await t.herald.parts.transactions.run(origin as never, async (tx) => tx.record(name as never, payload as never));
}

async function subscribe(token: string, variables: Record<string, unknown>) {
  const ws = connect(t.url, token);
  await ws.connected;
  const before = t.herald.liveStats().subscriptions;
  const live = ws.subscribe(TENANT_EVENTS, variables);
  await waitFor(() => t.herald.liveStats().subscriptions > before, { what: 'the subscription to start' });
  return { ws, live };
}

it('renders each event once per group, and every subscriber gets exactly its own events', async () => {
  const before = t.herald.liveStats();
  const all = { tenantId: tenant.id };
  const onlyCompleted = { tenantId: tenant.id, names: ['tenant.onboarding.completed'] };
  // Same operation, both seeing security events: one group. The member sees none: another group.
  const ownerA = await subscribe(owner.token, all);
  const ownerB = await subscribe(owner.token, all);
  const forAdmin = await subscribe(admin.token, all);
  const forMember = await subscribe(member.token, all);
  const memberFiltered = await subscribe(member.token, onlyCompleted);
  expect(t.herald.liveStats().groups - before.groups).toBe(3);

  await record('auth.login.failed', { userId: member.userId, email: member.email, reason: 'wrong_password' });
  await record('tenant.onboarding.completed', { tenantId: tenant.id });
  const last = (recording: { results: unknown[] }) => () =>
    eventsOf(recording as never).some((e) => e.name === 'tenant.onboarding.completed');
  for (const { live } of [ownerA, ownerB, forAdmin, forMember, memberFiltered]) {
    await waitFor(last(live), { what: 'the last event' });
  }

  // Listeners' events (the audit of the member additions) may still arrive between two subscribe
  // calls; compare from the first event recorded here on, when all five were live.
  const from = eventsOf(ownerA.live).find((e) => e.name === 'auth.login.failed')!.seq;
  const since = (recording: { results: unknown[] }) =>
    eventsOf(recording as never).filter((e) => BigInt(e.seq) >= BigInt(from));
  const seesAll = since(ownerA.live);
  expect(seesAll.map((e) => e.name)).toEqual(['auth.login.failed', 'tenant.onboarding.completed']);
  expect(since(ownerB.live)).toEqual(seesAll);
  expect(since(forAdmin.live)).toEqual(seesAll);
  expect(since(forMember.live)).toEqual(seesAll.filter((e) => !e.name.startsWith('auth.')));
  expect(since(memberFiltered.live)).toEqual(seesAll.filter((e) => e.name === 'tenant.onboarding.completed'));
  // One rendering per group and accepted event, whatever the number of subscribers in the group
  // (the first subscriber of each group opened it, so it received every event the group rendered).
  const received = () => [ownerA, forMember, memberFiltered].reduce((sum, { live }) => sum + live.results.length, 0);
  await waitFor(() => t.herald.liveStats().renders - before.renders === received(), {
    what: 'one rendering per group and event',
  });

  for (const { ws } of [ownerA, ownerB, forAdmin, forMember, memberFiltered]) ws.dispose();
  await waitFor(() => t.herald.liveStats().groups === before.groups, { what: 'the groups to close' });
});

it('resumes with `after` while others receive live: every event once, in order, in the same group', async () => {
  const before = t.herald.liveStats();
  const names = ['tenant.onboarding.completed'];
  const live = await subscribe(owner.token, { tenantId: tenant.id, names });
  await record('tenant.onboarding.completed', { tenantId: tenant.id });
  await waitFor(() => live.live.results.length === 1, { what: 'the first live event' });
  const after = eventsOf(live.live)[0].seq;

  const committing = (async () => {
    for (let i = 0; i < 30; i++) await record('tenant.onboarding.completed', { tenantId: tenant.id });
  })();
  // Resume from before the first event while events keep coming: replay, then live.
  const resumed = await subscribe(owner.token, { tenantId: tenant.id, names, after: String(BigInt(after) - 1n) });
  expect(t.herald.liveStats().groups - before.groups).toBe(1);
  await committing;
  await waitFor(() => live.live.results.length === 31 && resumed.live.results.length === 31, {
    what: 'all 31 events on both',
  });
  expect(eventsOf(resumed.live)).toEqual(eventsOf(live.live));
  const seqs = eventsOf(resumed.live).map((e) => BigInt(e.seq));
  expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1])).toBe(true);
  live.ws.dispose();
  resumed.ws.dispose();
});
