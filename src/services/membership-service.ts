import { In, type DataSource, type EntityManager } from 'typeorm';
import { isUuid } from '../db/uuid';
import { Membership, User } from '../entities';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError } from '../errors/domain-errors';
import type { TenantRole } from '../events/catalog';
import type { Transactions } from '../events/transactions';
import { signedIn } from './access';
import * as rules from './input-rules';
import { eventContextOf, type RequestContext } from './request-context';
import { ANY_MEMBER, OWNER_OR_ADMIN, PLATFORM_ADMINS_ONLY, type TenantAccess, type TenantGrant } from './tenant-access';
import * as tenantRules from './tenant-rules';

/** A member as the API shows it. */
export interface MemberView {
  user: User;
  role: TenantRole;
  createdAt: Date;
}

const NO_SUCH_MEMBER = 'No such member in this tenant.';
const LAST_OWNER = 'A tenant keeps at least one owner: make someone else OWNER first.';

/**
 * Who has which role in a tenant. OWNER and ADMIN manage members; only an owner (or a platform
 * admin) grants, changes or removes the OWNER role, and no one removes or demotes the last owner.
 * Each change locks the tenant row first, so concurrent changes of one tenant run one at a time
 * and the last-owner count cannot be raced.
 */
export class MembershipService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: TenantAccess,
  ) {}

  /**
   * The members of a tenant, oldest first, for its members and platform admins. (A tenant reaches
   * others too, as the tenant of their invitation: they see its name, not who is in it.)
   */
  async list(ctx: RequestContext, tenantId: string): Promise<MemberView[]> {
    await this.access.require(ctx, { id: tenantId }, ANY_MEMBER);
    const memberships = await this.dataSource.getRepository(Membership).find({
      where: { tenantId },
      order: { createdAt: 'ASC', userId: 'ASC' },
    });
    const users = await this.dataSource.getRepository(User).findBy({ id: In(memberships.map((m) => m.userId)) });
    const byId = new Map(users.map((user) => [user.id, user]));
    return memberships.map((m) => ({ user: byId.get(m.userId)!, role: m.role, createdAt: m.createdAt }));
  }

  /**
   * Support (platform admins): gives the account with `email` a role in the tenant without an
   * invitation; records `tenant.member.added` (audited). Everyone else invites (InvitationService):
   * no consent, no membership.
   */
  async add(ctx: RequestContext, tenantId: string, input: { email: string; role: string }): Promise<MemberView> {
    const email = rules.email('email', input.email);
    const role = tenantRules.role('role', input.role);
    return this.transactions.run(this.origin(ctx, tenantId), async (tx) => {
      await this.access.require(ctx, { id: tenantId }, PLATFORM_ADMINS_ONLY, { manager: tx.manager, lock: true });
      const user = await tx.manager.findOneBy(User, { email });
      if (!user) throw new BadUserInputError('email', 'No account has this email; ask them to register first.');
      if (await tx.manager.findOneBy(Membership, { tenantId, userId: user.id })) {
        throw new ConflictError('This user is a member already; change their role instead.', 'email');
      }
      const now = new Date();
      await tx.manager.insert(Membership, { tenantId, userId: user.id, role, createdAt: now, updatedAt: now });
      tx.record('tenant.member.added', { tenantId, userId: user.id, role });
      return { user, role, createdAt: now };
    });
  }

  /** Takes a member's role away; records `tenant.member.removed`. */
  async remove(ctx: RequestContext, tenantId: string, userId: string): Promise<boolean> {
    return this.transactions.run(this.origin(ctx, tenantId), async (tx) => {
      const grant = await this.access.require(ctx, { id: tenantId }, OWNER_OR_ADMIN, { manager: tx.manager, lock: true });
      const member = await this.findMember(tx.manager, tenantId, userId);
      if (member.role === 'OWNER') {
        this.requireOwnerPowers(ctx, grant, 'Only owners may remove an owner.');
        await this.requireAnotherOwner(tx.manager, tenantId);
      }
      await tx.manager.delete(Membership, { tenantId, userId });
      tx.record('tenant.member.removed', { tenantId, userId });
      return true;
    });
  }

  /** Changes a member's role; records `tenant.member.role_changed` when it changed. */
  async changeRole(ctx: RequestContext, tenantId: string, userId: string, newRole: string): Promise<MemberView> {
    const role = tenantRules.role('role', newRole);
    return this.transactions.run(this.origin(ctx, tenantId), async (tx) => {
      const grant = await this.access.require(ctx, { id: tenantId }, OWNER_OR_ADMIN, { manager: tx.manager, lock: true });
      const member = await this.findMember(tx.manager, tenantId, userId);
      const user = await tx.manager.findOneByOrFail(User, { id: userId });
      if (member.role === role) return { user, role, createdAt: member.createdAt };
      if (member.role === 'OWNER' || role === 'OWNER') {
        this.requireOwnerPowers(ctx, grant, 'Only owners may grant or take away the OWNER role.');
      }
      if (member.role === 'OWNER') await this.requireAnotherOwner(tx.manager, tenantId);
      await tx.manager.update(Membership, { tenantId, userId }, { role, updatedAt: new Date() });
      tx.record('tenant.member.role_changed', { tenantId, userId, from: member.role, to: role });
      return { user, role, createdAt: member.createdAt };
    });
  }

  /** Leaves a tenant (any member but its last OWNER); records `tenant.member.left`. */
  async leave(ctx: RequestContext, tenantId: string): Promise<boolean> {
    const viewer = signedIn(ctx);
    return this.transactions.run(this.origin(ctx, tenantId), async (tx) => {
      await this.access.require(ctx, { id: tenantId }, ANY_MEMBER, { manager: tx.manager, lock: true });
      const member = await tx.manager.findOneBy(Membership, { tenantId, userId: viewer.userId });
      if (!member) throw new NotFoundError('You are not a member of this tenant.');
      if (member.role === 'OWNER') await this.requireAnotherOwner(tx.manager, tenantId, 'tenantId');
      await tx.manager.delete(Membership, { tenantId, userId: viewer.userId });
      tx.record('tenant.member.left', { tenantId, userId: viewer.userId });
      return true;
    });
  }

  private async findMember(manager: EntityManager, tenantId: string, userId: string): Promise<Membership> {
    const member = isUuid(userId) ? await manager.findOneBy(Membership, { tenantId, userId }) : null;
    if (!member) throw new NotFoundError(NO_SUCH_MEMBER);
    return member;
  }

  private requireOwnerPowers(ctx: RequestContext, grant: TenantGrant, message: string): void {
    if (grant.role !== 'OWNER' && !signedIn(ctx).isPlatformAdmin) throw new ForbiddenError(message);
  }

  /** Call under the tenant row lock: the count cannot change before the commit. */
  private async requireAnotherOwner(manager: EntityManager, tenantId: string, field = 'userId'): Promise<void> {
    const owners = await manager.countBy(Membership, { tenantId, role: 'OWNER' });
    if (owners <= 1) throw new ConflictError(LAST_OWNER, field);
  }

  private origin(ctx: RequestContext, tenantId: string) {
    return { actorId: ctx.viewer?.userId ?? null, tenantId, context: eventContextOf(ctx) };
  }
}
