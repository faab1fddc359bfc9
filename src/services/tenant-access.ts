import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../db/uuid';
import { Membership, Tenant } from '../entities';
import { ForbiddenError, NotFoundError } from '../errors/domain-errors';
import type { TenantsOfUserSql } from '../events/event-store';
import type { TenantRole } from '../events/catalog';
import { signedIn } from './access';
import type { RequestContext } from './request-context';
import { isSlug } from './tenant-rules';

/** Who may do an operation: the tenant roles allowed (platform admins always may). */
export const ANY_MEMBER: readonly TenantRole[] = ['OWNER', 'ADMIN', 'MEMBER'];
export const OWNER_OR_ADMIN: readonly TenantRole[] = ['OWNER', 'ADMIN'];
export const OWNER_ONLY: readonly TenantRole[] = ['OWNER'];
export const PLATFORM_ADMINS_ONLY: readonly TenantRole[] = [];

/** The same message whether the tenant does not exist or is not the viewer's: existence never leaks. */
const NOT_FOUND = 'No such tenant.';

export interface TenantGrant {
  tenant: Tenant;
  /** The viewer's role; null for a platform admin who is not a member. */
  role: TenantRole | null;
}

/**
 * The rule, in one place: a tenant that is missing or deleted, or of which the viewer is not a
 * member, is NOT_FOUND (the same answer for each); a member whose role is not `allowed` gets
 * FORBIDDEN; platform admins may do everything. Returns normally when access is granted.
 */
export function decideTenantAccess(
  facts: { tenantVisible: boolean; role: TenantRole | null; isPlatformAdmin: boolean },
  allowed: readonly TenantRole[],
): void {
  if (!facts.tenantVisible) throw new NotFoundError(NOT_FOUND);
  if (facts.isPlatformAdmin) return;
  if (facts.role === null) throw new NotFoundError(NOT_FOUND);
  if (!allowed.includes(facts.role)) {
    throw new ForbiddenError(
      allowed.length === 0
        ? 'Only platform admins may do this.'
        : `This needs the role ${allowed.join(' or ')} in this tenant; yours is ${facts.role}.`,
    );
  }
}

/** Loads a tenant as the viewer may see it, applying `decideTenantAccess`. */
export class TenantAccess {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The live tenant by id or slug and the viewer's role in it, or NOT_FOUND / FORBIDDEN (and
   * UNAUTHENTICATED when anonymous). Inside a write, pass its `manager` and `lock: true`: the tenant
   * row is then locked until the write commits, which orders concurrent changes of one tenant.
   */
  async require(
    ctx: RequestContext,
    ref: { id: string } | { slug: string },
    allowed: readonly TenantRole[],
    options: { manager?: EntityManager; lock?: boolean } = {},
  ): Promise<TenantGrant> {
    const viewer = signedIn(ctx);
    const manager = options.manager ?? this.dataSource.manager;
    let tenant: Tenant | null = null;
    // Only a well-formed id or slug is looked up: anything else matches no tenant, and some strings
    // (U+0000) would fail the query instead.
    if ('id' in ref ? isUuid(ref.id) : isSlug(ref.slug)) {
      const query = manager
        .createQueryBuilder(Tenant, 't')
        .where('t.deleted_at IS NULL')
        .andWhere('id' in ref ? 't.id = :value' : 't.slug = :value', { value: 'id' in ref ? ref.id : ref.slug });
      tenant = await (options.lock ? query.setLock('pessimistic_write') : query).getOne();
    }
    const membership = tenant ? await manager.findOneBy(Membership, { tenantId: tenant.id, userId: viewer.userId }) : null;
    const role = membership?.role ?? null;
    decideTenantAccess({ tenantVisible: tenant !== null, role, isPlatformAdmin: viewer.isPlatformAdmin }, allowed);
    return { tenant: tenant!, role };
  }

  /**
   * The role a viewer reads a tenant's events with (the events API, live subscriptions): a
   * member's own; NOT_FOUND for anyone else. A platform admin counts as OWNER, member or not: the
   * rule, in one place.
   */
  async memberRole(ctx: RequestContext, tenantId: string): Promise<TenantRole> {
    const { role } = await this.require(ctx, { id: tenantId }, ANY_MEMBER);
    return signedIn(ctx).isPlatformAdmin ? 'OWNER' : role!;
  }
}

/**
 * For the event store: the live tenants a user belongs to, evaluated in the append statement (so
 * in the appending transaction): a security event reaches the dashboards of exactly the tenants
 * its subject belonged to then.
 */
export const tenantsOfUserSql: TenantsOfUserSql = (userId) =>
  `ARRAY(SELECT m.tenant_id FROM memberships m JOIN tenants t ON t.id = m.tenant_id
         WHERE m.user_id = ${userId} AND t.deleted_at IS NULL)`;
