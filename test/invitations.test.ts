import { makeDueNow } from './support/accounts';
import { errorCode, type GraphQLResponse } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { inbox, waitForLinkToken } from './support/mailbox';
import {
  ACCEPT_INVITATION,
  ADD_MEMBER,
  DECLINE_INVITATION,
  INVITE_MEMBER,
  LEAVE_TENANT,
  RESEND_INVITATION,
  REVOKE_INVITATION,
  TENANT,
  createActiveTenant,
  join,
  signUp,
  verifyEmail,
  type Account,
} from './support/tenants';
import { waitFor } from './support/wait';
import { TENANT_EVENTS, connect } from './support/ws-client';

/**
 * Invitations instead of silent adds, over real HTTP with the tokens read from the emails: the
 * same answer whether or not an account has the address, acceptance only by the verified owner of
 * the address, decline, revoke, resend, expiry, caps, and leaving.
 */
const ADMIN_EMAIL = uniqueEmail('platform-admin');
let t: TestHerald;
let owner: Account;
let tenant: { id: string; slug: string };

beforeAll(async () => {
  t = await startTestHerald({ PLATFORM_ADMIN_EMAILS: ADMIN_EMAIL, INVITATIONS_PER_TENANT_PER_DAY: '40', PENDING_INVITATIONS_PER_ADDRESS: '2' });
  owner = await signUp(t, undefined, { verified: true });
  tenant = await createActiveTenant(t, owner);
});
afterAll(() => t.stop());

const INVITATION = 'id email role status expiresAt tenant { id name }';
const MY_INVITATIONS = `{ myInvitations { ${INVITATION} } }`;
const invite = (email: string, role = 'MEMBER', by = owner, tenantId = tenant.id) => t.gql(INVITE_MEMBER, { tenantId, email, role }, by.token);
const must = async (response: Promise<GraphQLResponse>) => {
  const settled = await response;
  if (settled.errors) throw new Error(JSON.stringify(settled.errors));
  return settled.data!;
};
const statusOf = async (id: string) => (await t.db.query<{ status: string }>(`SELECT status FROM invitations WHERE id = $1`, [id]))[0].status;
const membersOf = async (tenantId: string) =>
  (await must(t.gql(TENANT, { id: tenantId }, owner.token))).tenant.members.map((m: { user: { id: string }; role: string }) => `${m.user.id}:${m.role}`);
const inviteTokenOf = (email: string, nth = 1) => waitForLinkToken(t.smtp, email, '/console/invitations/accept', nth);

describe('inviting', () => {
  it('answers the same whether or not the address has an account, and emails a link either way', async () => {
    const existing = await signUp(t);
    const stranger = uniqueEmail('stranger');
    const answers = [await must(invite(existing.email)), await must(invite(stranger))].map((d) => d.inviteMember);
    const shape = (i: Record<string, unknown>) => ({ ...i, id: typeof i.id, email: typeof i.email, createdAt: typeof i.createdAt, expiresAt: typeof i.expiresAt });
    expect(shape(answers[0])).toEqual(shape(answers[1]));
    expect(answers[0]).toMatchObject({ status: 'PENDING', role: 'MEMBER', invitedBy: { id: owner.userId }, tenant: { id: tenant.id } });
    for (const address of [existing.email, stranger]) {
      const token = await inviteTokenOf(address);
      const [mail] = (await inbox(t.smtp, address)).filter((m) => m.subject.startsWith('You are invited'));
      expect(mail.text).toContain(`${t.url}/console/invitations/accept?token=${token}`);
    }
    // Seven days, set by the database's clock like the expiry's delivery.
    const [row] = await t.db.query<{ days: number }>(`SELECT extract(epoch FROM expires_at - created_at) / 86400 AS days FROM invitations WHERE id = $1`, [answers[1].id]);
    expect(Number(row.days)).toBeCloseTo(7, 3);
  });

  it('quotes the tenant name as plain text, never as a link of the inviter’s choosing', async () => {
    const inviter = await signUp(t, undefined, { verified: true });
    const named = await createActiveTenant(t, inviter);
    const evil = '<a href="https://evil.example/login">Click</a> & co';
    await must(t.gql(`mutation($id: ID!, $n: String!) { updateTenant(id: $id, input: { name: $n }) { id } }`, { id: named.id, n: evil }, inviter.token));
    const address = uniqueEmail('quoted');
    await must(invite(address, 'MEMBER', inviter, named.id));
    await inviteTokenOf(address);
    const [mail] = await inbox(t.smtp, address);
    expect(mail.html).not.toContain('<a href="https://evil.example');
    expect(mail.html).toContain('&#60;a href=&#34;https://evil.example/login&#34;&#62;');
    expect(mail.text).toContain(`“${evil}”`);
    expect(mail.html.match(/<a href=/g)).toHaveLength(1); // only the invitation's own link
  });

  it('refuses a member and an address invited already, and lets only owners invite owners', async () => {
    expect(errorCode(await invite(owner.email))).toBe('CONFLICT');
    const twice = uniqueEmail('twice');
    await must(invite(twice));
    expect(errorCode(await invite(twice))).toBe('CONFLICT');
    const admin = await signUp(t);
    await join(t, owner, tenant.id, admin, 'ADMIN');
    expect(errorCode(await invite(uniqueEmail('owner-to-be'), 'OWNER', admin))).toBe('FORBIDDEN');
    expect((await must(invite(uniqueEmail('owner-to-be'), 'OWNER', owner))).inviteMember.role).toBe('OWNER');
  });

  it('no longer lets a tenant add someone without their consent; platform admins keep addMember as an audited support tool', async () => {
    const person = await signUp(t);
    expect(errorCode(await t.gql(ADD_MEMBER, { tenantId: tenant.id, email: person.email, role: 'MEMBER' }, owner.token))).toBe('FORBIDDEN');
    const admin = await signUp(t, ADMIN_EMAIL, { verified: true });
    await must(t.gql(ADD_MEMBER, { tenantId: tenant.id, email: person.email, role: 'MEMBER' }, admin.token));
    const [entry] = await waitFor(async () => {
      const rows = await t.db.query<{ actor_id: string }>(
        `SELECT e.actor_id FROM events e WHERE e.name = 'audit.action.performed' AND e.payload->>'action' = 'tenant.member.added'
           AND e.payload->>'subjectId' = $1`,
        [person.userId],
      );
      return rows.length > 0 && rows;
    }, { what: 'the audit of the support add' });
    expect(entry.actor_id).toBe(admin.userId);
  });
});

describe('accepting', () => {
  it('walks a new person through: register, verify, accept; the link then says it was accepted', async () => {
    const address = uniqueEmail('newcomer');
    const invitation = (await must(invite(address))).inviteMember;
    const token = await inviteTokenOf(address);
    expect(errorCode(await t.gql(ACCEPT_INVITATION, { token }))).toBe('UNAUTHENTICATED');

    const newcomer = await signUp(t, address);
    const early = await t.gql(ACCEPT_INVITATION, { token }, newcomer.token);
    expect(errorCode(early)).toBe('FORBIDDEN');
    expect(early.errors![0].message).toMatch(/Confirm your email address first/);
    expect((await must(t.gql(MY_INVITATIONS, {}, newcomer.token))).myInvitations).toEqual([]); // not theirs until verified

    await verifyEmail(t, address);
    expect((await must(t.gql(MY_INVITATIONS, {}, newcomer.token))).myInvitations.map((i: { id: string }) => i.id)).toEqual([invitation.id]);
    const accepted = (await must(t.gql(ACCEPT_INVITATION, { token }, newcomer.token))).acceptInvitation;
    expect(accepted).toEqual({ role: 'MEMBER', user: { id: newcomer.userId, email: address } });
    expect(await membersOf(tenant.id)).toContain(`${newcomer.userId}:MEMBER`);
    expect(await statusOf(invitation.id)).toBe('ACCEPTED');
    const names = (await t.db.query<{ name: string }>(`SELECT name FROM events WHERE tenant_id = $1 AND payload->>'invitationId' = $2 ORDER BY seq`, [tenant.id, invitation.id])).map((r) => r.name);
    expect(names).toEqual(['tenant.invitation.created', 'tenant.invitation.accepted']);

    const again = await t.gql(ACCEPT_INVITATION, { token }, newcomer.token);
    expect(errorCode(again)).toBe('CONFLICT');
    expect(again.errors![0].message).toBe('You accepted this invitation already: the workspace is in your list.');
    expect((await must(t.gql(MY_INVITATIONS, {}, newcomer.token))).myInvitations).toEqual([]);
  });

  it('refuses another account, even a verified one, and leaves the invitation open for its owner', async () => {
    const intended = await signUp(t, undefined, { verified: true });
    const other = await signUp(t, undefined, { verified: true });
    const invitation = (await must(invite(intended.email))).inviteMember;
    const token = await inviteTokenOf(intended.email);
    const wrong = await t.gql(ACCEPT_INVITATION, { token }, other.token);
    expect(errorCode(wrong)).toBe('FORBIDDEN');
    expect(wrong.errors![0].message).toMatch(/sent to another email address/);
    expect(await statusOf(invitation.id)).toBe('PENDING');
    // The invitee sees the tenant's name, never its members.
    const seen = await t.gql(`{ myInvitations { tenant { name members { role } } } }`, {}, intended.token);
    expect(seen.data).toBeNull();
    expect(errorCode(seen)).toBe('NOT_FOUND');
    const named = await must(t.gql(`{ myInvitations { tenant { name slug } } }`, {}, intended.token));
    expect(named.myInvitations).toEqual([{ tenant: { name: 'Acme Corp', slug: tenant.slug } }]);
    await must(t.gql(ACCEPT_INVITATION, { token }, intended.token));
  });

  it('lets two concurrent accepts of one link make one membership', async () => {
    const invitee = await signUp(t, undefined, { verified: true });
    await must(invite(invitee.email));
    const token = await inviteTokenOf(invitee.email);
    const answers = await Promise.all([1, 2, 3].map(() => t.gql(ACCEPT_INVITATION, { token }, invitee.token)));
    expect(answers.filter((a) => !a.errors)).toHaveLength(1);
    expect(answers.filter((a) => a.errors).map(errorCode)).toEqual(['CONFLICT', 'CONFLICT']);
    expect((await membersOf(tenant.id)).filter((m: string) => m.startsWith(invitee.userId))).toHaveLength(1);
  });
});

describe('declining, revoking, resending, expiring', () => {
  it('declines with the link, without an account', async () => {
    const address = uniqueEmail('no-thanks');
    const invitation = (await must(invite(address))).inviteMember;
    const token = await inviteTokenOf(address);
    expect((await must(t.gql(DECLINE_INVITATION, { token }))).declineInvitation).toBe(true);
    expect(await statusOf(invitation.id)).toBe('DECLINED');
    const later = await signUp(t, address, { verified: true });
    const accept = await t.gql(ACCEPT_INVITATION, { token }, later.token);
    expect([errorCode(accept), accept.errors![0].message]).toEqual(['CONFLICT', 'This invitation was declined.']);
  });

  it('revokes: the link then says the workspace withdrew it', async () => {
    const invitee = await signUp(t, undefined, { verified: true });
    const invitation = (await must(invite(invitee.email))).inviteMember;
    const token = await inviteTokenOf(invitee.email);
    expect((await must(t.gql(REVOKE_INVITATION, { id: invitation.id }, owner.token))).revokeInvitation.status).toBe('REVOKED');
    const accept = await t.gql(ACCEPT_INVITATION, { token }, invitee.token);
    expect([errorCode(accept), accept.errors![0].message]).toEqual(['CONFLICT', 'This invitation was withdrawn by the workspace.']);
    expect(errorCode(await t.gql(REVOKE_INVITATION, { id: invitation.id }, owner.token))).toBe('CONFLICT');
  });

  it('resends with a new link: the old one says it was replaced, the new one works', async () => {
    const invitee = await signUp(t, undefined, { verified: true });
    const invitation = (await must(invite(invitee.email))).inviteMember;
    const first = await inviteTokenOf(invitee.email);
    const resent = (await must(t.gql(RESEND_INVITATION, { id: invitation.id }, owner.token))).resendInvitation;
    expect(Date.parse(resent.expiresAt)).toBeGreaterThanOrEqual(Date.parse(invitation.expiresAt));
    const second = await inviteTokenOf(invitee.email, 2);
    expect(second).not.toBe(first);
    const old = await t.gql(ACCEPT_INVITATION, { token: first }, invitee.token);
    expect(errorCode(old)).toBe('CONFLICT');
    expect(old.errors![0].message).toMatch(/replaced by a newer one/);
    await must(t.gql(ACCEPT_INVITATION, { token: second }, invitee.token));
  });

  it('expires after its time by a delivery due then, recording tenant.invitation.expired', async () => {
    const invitee = await signUp(t, undefined, { verified: true });
    const invitation = (await must(invite(invitee.email))).inviteMember;
    const token = await inviteTokenOf(invitee.email);
    const [created] = await t.db.query<{ id: string; due_days: number }>(
      `SELECT e.id, extract(epoch FROM d.due_at - e.occurred_at) / 86400 AS due_days FROM events e JOIN deliveries d ON d.event_id = e.id
       WHERE e.name = 'tenant.invitation.created' AND e.payload->>'invitationId' = $1 AND d.listener = 'expire-invitation'`,
      [invitation.id],
    );
    expect(Number(created.due_days)).toBeCloseTo(7, 3);
    // Seven days pass.
    await t.db.query(`UPDATE invitations SET expires_at = now() WHERE id = $1`, [invitation.id]);
    expect(await makeDueNow(t, 'expire-invitation', [created.id])).toBe(1);
    await waitFor(async () => (await statusOf(invitation.id)) === 'EXPIRED', { what: 'the invitation to expire' });
    const [expired] = await t.db.query(`SELECT actor_id FROM events WHERE name = 'tenant.invitation.expired' AND payload->>'invitationId' = $1`, [invitation.id]);
    expect(expired).toEqual({ actor_id: null });
    const accept = await t.gql(ACCEPT_INVITATION, { token }, invitee.token);
    expect([errorCode(accept), accept.errors![0].message]).toEqual(['CONFLICT', 'This invitation has expired: ask the workspace for a new one.']);
  });

  it('lists a tenant’s invitations by status for its OWNER/ADMIN', async () => {
    const list = (status?: string) =>
      must(t.gql(`query($id: ID!, $s: InvitationStatus) { invitations(tenantId: $id, status: $s) { id status } }`, { id: tenant.id, s: status }, owner.token));
    const all = (await list()).invitations as { status: string }[];
    expect(all.length).toBeGreaterThan(5);
    const expired = (await list('EXPIRED')).invitations as { status: string }[];
    expect(expired.length).toBeGreaterThanOrEqual(1);
    expect(expired.every((i) => i.status === 'EXPIRED')).toBe(true);
  });
});

describe('caps', () => {
  it('limits open invitations per address across tenants', async () => {
    const address = uniqueEmail('popular');
    const others = [await signUp(t, undefined, { verified: true }), await signUp(t, undefined, { verified: true }), await signUp(t, undefined, { verified: true })];
    const tenants = [];
    for (const other of others) tenants.push(await createActiveTenant(t, other));
    await must(invite(address, 'MEMBER', others[0], tenants[0].id));
    await must(invite(address, 'MEMBER', others[1], tenants[1].id));
    const third = await invite(address, 'MEMBER', others[2], tenants[2].id); // PENDING_INVITATIONS_PER_ADDRESS=2 here
    expect([errorCode(third), third.errors![0].extensions!.field]).toEqual(['CONFLICT', 'email']);
  });

  it('limits the invitations a tenant sends per day, resends included', async () => {
    const small = await startTestHerald({ INVITATIONS_PER_TENANT_PER_DAY: '3' });
    try {
      const boss = await signUp(small, undefined, { verified: true });
      const team = await createActiveTenant(small, boss);
      const send = (email: string) => small.gql(INVITE_MEMBER, { tenantId: team.id, email, role: 'MEMBER' }, boss.token);
      const first = (await must(send(uniqueEmail('a')))).inviteMember;
      await must(send(uniqueEmail('b')));
      await must(small.gql(RESEND_INVITATION, { id: first.id }, boss.token));
      const over = await send(uniqueEmail('c'));
      expect(errorCode(over)).toBe('RATE_LIMITED');
      expect(over.errors![0].extensions!.retryAfter).toBeGreaterThan(80_000); // about a day
      expect(errorCode(await small.gql(RESEND_INVITATION, { id: first.id }, boss.token))).toBe('RATE_LIMITED');
    } finally {
      await small.stop();
    }
  });
});

describe('leaving', () => {
  it('lets a member leave (their live stream ends) and never the last owner', async () => {
    const leaving = await signUp(t);
    await join(t, owner, tenant.id, leaving, 'MEMBER');
    const socket = connect(t.url, leaving.token);
    const live = socket.subscribe(TENANT_EVENTS, { tenantId: tenant.id });
    await waitFor(() => t.herald.liveStats().subscriptions > 0, { what: 'the subscription' });
    expect((await must(t.gql(LEAVE_TENANT, { tenantId: tenant.id }, leaving.token))).leaveTenant).toBe(true);
    await waitFor(() => live.completed, { what: 'the stream to end' });
    expect(live.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await membersOf(tenant.id)).not.toContain(`${leaving.userId}:MEMBER`);
    expect(errorCode(await t.gql(TENANT, { id: tenant.id }, leaving.token))).toBe('NOT_FOUND');
    await socket.dispose();

    const last = await t.gql(LEAVE_TENANT, { tenantId: tenant.id }, owner.token);
    expect([errorCode(last), last.errors![0].message]).toEqual(['CONFLICT', 'A tenant keeps at least one owner: make someone else OWNER first.']);
  });
});
