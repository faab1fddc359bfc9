import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AccountsConfig } from '../config';
import { isUniqueViolation } from '../db/postgres-errors';
import { isUuid } from '../db/uuid';
import { Invitation, Membership, Tenant, User } from '../entities';
import type { InvitationStatus } from '../entities/invitation';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../errors/domain-errors';
import type { Transactions, Tx } from '../events/transactions';
import type { EmailLinks } from '../mail/email-links';
import { invitationEmail } from '../mail/tenant-templates';
import { signedIn } from './access';
import { queueLinkEmail } from './link-emails';
import * as rules from './input-rules';
import type { LinkTokenStore } from './link-token-store';
import type { MemberView } from './membership-service';
import { actorIdOf, eventContextOf, type RequestContext } from './request-context';
import { OWNER_OR_ADMIN, type TenantAccess, type TenantGrant } from './tenant-access';
import * as tenantRules from './tenant-rules';
import { changedRows } from '../db/changed-rows';

const NO_SUCH_INVITATION = 'No such invitation.';
const LIST_MAX = 200;

/** Why an invitation that is no longer open cannot be answered, in words. */
const CLOSED: Record<Exclude<InvitationStatus, 'PENDING'>, string> = {
  ACCEPTED: 'This invitation was accepted already.',
  DECLINED: 'This invitation was declined.',
  REVOKED: 'This invitation was withdrawn by the workspace.',
  EXPIRED: 'This invitation has expired: ask the workspace for a new one.',
};

/**
 * Invitations instead of silent adds: a tenant's OWNER/ADMIN invites an address; only a signed-in
 * user whose verified email is that address can accept. The answer to `inviteMember` does not tell
 * whether the address has an account. Caps keep invitations from being a way to mail strangers.
 */
export class InvitationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: TenantAccess,
    private readonly linkTokens: LinkTokenStore,
    private readonly links: EmailLinks,
    private readonly accounts: AccountsConfig,
  ) {}

  /** Invites `email` with `role` (OWNER/ADMIN; only owners invite owners): PENDING, and an email with the link. */
  async invite(ctx: RequestContext, tenantId: string, input: { email: string; role: string }): Promise<Invitation> {
    const email = rules.email('email', input.email);
    const role = tenantRules.role('role', input.role);
    try {
      return await this.transactions.run(this.origin(ctx, tenantId), async (tx) => {
        const grant = await this.access.require(ctx, { id: tenantId }, OWNER_OR_ADMIN, { manager: tx.manager, lock: true });
        if (role === 'OWNER') requireOwner(ctx, grant, 'Only owners may invite an owner.');
        const member = await tx.manager.query(
          `SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND u.email = $2`,
          [tenantId, email],
        );
        if (member.length > 0) throw new ConflictError('This address belongs to a member already; change their role instead.', 'email');
        await this.checkCaps(tx.manager, tenantId, email);
        const id = uuidv7();
        // The database's clock sets the expiry, as it sets the due time of the expiry's delivery.
        await tx.manager.query(
          `INSERT INTO invitations (id, tenant_id, email, role, status, invited_by, expires_at)
           VALUES ($1, $2, $3, $4, 'PENDING', $5, now() + $6 * interval '1 second')`,
          [id, tenantId, email, role, actorIdOf(ctx), this.accounts.invitationTtl],
        );
        const invitation = await tx.manager.findOneByOrFail(Invitation, { id });
        await this.send(tx, invitation, grant.tenant);
        tx.record('tenant.invitation.created', {
          tenantId,
          invitationId: id,
          email,
          role,
          expiresAt: invitation.expiresAt.toISOString(),
        });
        return invitation;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'invitations_pending')) {
        throw new ConflictError('An invitation to this address is open already: resend it instead.', 'email');
      }
      throw error;
    }
  }

  /** A new link for a PENDING invitation, open for another INVITATION_TTL; the old link stops working. */
  async resend(ctx: RequestContext, id: string): Promise<Invitation> {
    return this.manage(ctx, id, async (tx, invitation, grant) => {
      if (invitation.status !== 'PENDING') throw new ConflictError(`${CLOSED[invitation.status]} Invite the address again instead.`);
      await this.checkCaps(tx.manager, invitation.tenantId, null);
      const [{ expires_at }]: { expires_at: Date }[] = await changedRows(tx.manager, 
        `UPDATE invitations SET expires_at = now() + $2 * interval '1 second', updated_at = now() WHERE id = $1 RETURNING expires_at`,
        [invitation.id, this.accounts.invitationTtl],
      );
      Object.assign(invitation, { expiresAt: new Date(expires_at) });
      await this.linkTokens.endOpen(tx.manager, invitation.id, ['invitation']);
      await this.send(tx, invitation, grant.tenant);
      tx.record('tenant.invitation.resent', {
        tenantId: invitation.tenantId,
        invitationId: invitation.id,
        email: invitation.email,
        expiresAt: invitation.expiresAt.toISOString(),
      });
      return invitation;
    });
  }

  /** Withdraws a PENDING invitation: its link stops working. */
  async revoke(ctx: RequestContext, id: string): Promise<Invitation> {
    return this.manage(ctx, id, async (tx, invitation) => {
      if (invitation.status !== 'PENDING') throw new ConflictError(CLOSED[invitation.status]);
      await this.close(tx.manager, invitation, 'REVOKED');
      tx.record('tenant.invitation.revoked', { tenantId: invitation.tenantId, invitationId: invitation.id });
      return invitation;
    });
  }

  /**
   * Accepts with the link's token: the signed-in user must have verified the invited address.
   * Answers in words when the link was used, replaced, or the invitation is no longer open.
   */
  async accept(ctx: RequestContext, token: string): Promise<MemberView> {
    const viewer = signedIn(ctx);
    const raw = rules.token('token', token);
    return this.transactions.run({ actorId: viewer.userId, context: eventContextOf(ctx) }, async (tx) => {
      const invitation = await this.openByToken(tx.manager, raw, viewer.userId);
      const user = await tx.manager.findOneByOrFail(User, { id: viewer.userId });
      if (user.email !== invitation.email) {
        throw new ForbiddenError('This invitation was sent to another email address: sign in with the account that has it (or create one).');
      }
      if (!user.emailVerifiedAt) {
        throw new ForbiddenError('Confirm your email address first (open the link we sent you), then open the invitation again.');
      }
      await this.linkTokens.consume(tx.manager, raw, ['invitation']);
      if (await tx.manager.existsBy(Membership, { tenantId: invitation.tenantId, userId: user.id })) {
        throw new ConflictError('You are a member of this workspace already.');
      }
      const now = new Date();
      await tx.manager.insert(Membership, { tenantId: invitation.tenantId, userId: user.id, role: invitation.role, createdAt: now, updatedAt: now });
      await this.close(tx.manager, invitation, 'ACCEPTED', user.id);
      const tenant = { tenantId: invitation.tenantId };
      tx.record('tenant.invitation.accepted', { ...tenant, invitationId: invitation.id, userId: user.id, role: invitation.role }, tenant);
      tx.record('tenant.member.added', { ...tenant, userId: user.id, role: invitation.role }, tenant);
      return { user, role: invitation.role, createdAt: now };
    });
  }

  /** Declines with the link's token; no account needed (the link proves the mailbox). */
  async decline(ctx: RequestContext, token: string): Promise<boolean> {
    const raw = rules.token('token', token);
    return this.transactions.run({ actorId: ctx.viewer?.userId ?? null, context: eventContextOf(ctx) }, async (tx) => {
      const invitation = await this.openByToken(tx.manager, raw, ctx.viewer?.userId ?? null);
      await this.linkTokens.consume(tx.manager, raw, ['invitation']);
      await this.close(tx.manager, invitation, 'DECLINED');
      tx.record('tenant.invitation.declined', { tenantId: invitation.tenantId, invitationId: invitation.id }, { tenantId: invitation.tenantId });
      return true;
    });
  }

  /** A tenant's invitations, newest first, optionally of one status (OWNER/ADMIN). */
  async list(ctx: RequestContext, tenantId: string, status: InvitationStatus | null): Promise<Invitation[]> {
    await this.access.require(ctx, { id: tenantId }, OWNER_OR_ADMIN);
    return this.dataSource.getRepository(Invitation).find({
      where: { tenantId, ...(status ? { status } : {}) },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: LIST_MAX,
    });
  }

  /** PENDING invitations to the viewer's address, once it is verified (before, none are theirs to see). */
  async mine(ctx: RequestContext): Promise<Invitation[]> {
    const viewer = signedIn(ctx);
    if (!viewer.emailVerified) return [];
    return this.dataSource
      .getRepository(Invitation)
      .createQueryBuilder('i')
      .innerJoin(Tenant, 't', 't.id = i.tenant_id AND t.deleted_at IS NULL')
      .where(`i.email = :email AND i.status = 'PENDING' AND i.expires_at > now()`, { email: viewer.email })
      .orderBy('i.created_at', 'DESC')
      .take(LIST_MAX)
      .getMany();
  }

  /** Runs `work` on an invitation of a tenant the viewer manages (OWNER/ADMIN), both row-locked. */
  private async manage<T>(ctx: RequestContext, id: string, work: (tx: Tx, invitation: Invitation, grant: TenantGrant) => Promise<T>): Promise<T> {
    const found = isUuid(id) ? await this.dataSource.getRepository(Invitation).findOneBy({ id }) : null;
    if (!found) throw new NotFoundError(NO_SUCH_INVITATION);
    return this.transactions.run(this.origin(ctx, found.tenantId), async (tx) => {
      const grant = await this.access.require(ctx, { id: found.tenantId }, OWNER_OR_ADMIN, { manager: tx.manager, lock: true });
      if (found.role === 'OWNER') requireOwner(ctx, grant, 'Only owners manage an invitation to become owner.');
      const invitation = await tx.manager.findOneByOrFail(Invitation, { id });
      return work(tx, invitation, grant);
    });
  }

  /**
   * The PENDING invitation a token belongs to, row-locked; otherwise an answer that says why: the
   * link is unknown, was replaced by a newer one, or the invitation was accepted (by you?),
   * declined, withdrawn or has expired.
   */
  private async openByToken(manager: EntityManager, token: string, viewerId: string | null): Promise<Invitation> {
    const link = await this.linkTokens.find(manager, token, ['invitation']);
    const invitation = link
      ? await manager.createQueryBuilder(Invitation, 'i').setLock('pessimistic_write').where('i.id = :id', { id: link.subjectId }).getOne()
      : null;
    if (!link || !invitation) throw new NotFoundError('This invitation link is not valid: open the newest invitation email you received.');
    const tenantLive = await manager.existsBy(Tenant, { id: invitation.tenantId, deletedAt: IsNull() });
    if (!tenantLive) throw new NotFoundError('This workspace no longer exists.');
    if (invitation.status === 'ACCEPTED' && viewerId && invitation.acceptedBy === viewerId) {
      throw new ConflictError('You accepted this invitation already: the workspace is in your list.');
    }
    if (invitation.status !== 'PENDING') throw new ConflictError(CLOSED[invitation.status]);
    if (invitation.expiresAt.getTime() <= Date.now()) throw new ConflictError(CLOSED.EXPIRED);
    if (link.usedAt) throw new ConflictError('This link was replaced by a newer one: open the newest invitation email you received.');
    return invitation;
  }

  /** Refuses when the tenant has sent its invitations for the day, or the address has too many open ones. */
  private async checkCaps(manager: EntityManager, tenantId: string, email: string | null): Promise<void> {
    const [sent]: { count: number; retry_after: number | null }[] = await manager.query(
      `SELECT count(*)::int AS count, ceil(extract(epoch FROM min(lt.created_at) + interval '1 day' - now()))::int AS retry_after
       FROM link_tokens lt JOIN invitations i ON i.id = lt.subject_id
       WHERE lt.purpose = 'invitation' AND i.tenant_id = $1 AND lt.created_at > now() - interval '1 day'`,
      [tenantId],
    );
    if (sent.count >= this.accounts.invitationsPerTenantPerDay) {
      throw new RateLimitedError(Math.max(1, sent.retry_after ?? 60));
    }
    if (email === null) return;
    const [open]: { count: number }[] = await manager.query(
      `SELECT count(*)::int AS count FROM invitations WHERE email = $1 AND status = 'PENDING' AND expires_at > now()`,
      [email],
    );
    if (open.count >= this.accounts.pendingInvitationsPerAddress) {
      throw new ConflictError('This address has too many invitations waiting already; try again once some are answered.', 'email');
    }
  }

  /** Mints the link and queues the invitation email, in the invitation's unit of work. */
  private async send(tx: Tx, invitation: Invitation, tenant: Tenant): Promise<void> {
    const inviter = invitation.invitedBy ? await tx.manager.findOneBy(User, { id: invitation.invitedBy }) : null;
    await queueLinkEmail(
      tx,
      { linkTokens: this.linkTokens, links: this.links },
      {
        purpose: 'invitation',
        subjectId: invitation.id,
        to: invitation.email,
        ttlSeconds: Math.max(1, Math.ceil((invitation.expiresAt.getTime() - Date.now()) / 1000)),
      },
      {
        template: 'invitation',
        render: (acceptUrl) =>
          invitationEmail({
            inviterName: inviter?.name ?? null,
            tenantName: tenant.name ?? tenant.slug,
            role: invitation.role,
            acceptUrl,
            expiresAt: invitation.expiresAt,
          }),
      },
    );
  }

  private async close(manager: EntityManager, invitation: Invitation, status: InvitationStatus, acceptedBy: string | null = null): Promise<void> {
    const now = new Date();
    await manager.update(Invitation, { id: invitation.id }, { status, acceptedBy, respondedAt: now, updatedAt: now });
    await this.linkTokens.endOpen(manager, invitation.id, ['invitation']);
    Object.assign(invitation, { status, acceptedBy, respondedAt: now, updatedAt: now });
  }

  private origin(ctx: RequestContext, tenantId: string) {
    return { actorId: actorIdOf(ctx), tenantId, context: eventContextOf(ctx) };
  }
}

function requireOwner(ctx: RequestContext, grant: TenantGrant, message: string): void {
  if (grant.role !== 'OWNER' && !signedIn(ctx).isPlatformAdmin) throw new ForbiddenError(message);
}
