import type { DataSource, EntityManager } from 'typeorm';
import type { TenantQuotas } from '../config';
import { v7 as uuidv7 } from 'uuid';
import { isUniqueViolation } from '../db/postgres-errors';
import { TenantSchemaMissingError } from '../db/tenant-database';
import { isUuid } from '../db/uuid';
import { Membership, Tenant, type TenantAuditEntry } from '../entities';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError } from '../errors/domain-errors';
import type { EventOrigin, Transactions } from '../events/transactions';
import { signedIn } from './access';
import * as rules from './input-rules';
import { connection, numericCursor, pageSize, type Connection } from './pagination';
import { eventContextOf, type RequestContext } from './request-context';
import { lockLiveUserForUpdate } from './user-rows';
import { ANY_MEMBER, OWNER_ONLY, OWNER_OR_ADMIN, PLATFORM_ADMINS_ONLY, type TenantAccess } from './tenant-access';
import type { TenantAuditLog } from './tenant-audit-log';
import { ONBOARDING_LISTENERS } from './tenant-onboarding';
import * as tenantRules from './tenant-rules';

const SLUG_TAKEN = 'This slug is taken; choose another.';

/**
 * The tenant lifecycle: create, read, update, delete, retry a failed onboarding, and the tenant's
 * audit log. Access is decided by TenantAccess; every write is one transaction with its events.
 */
export class TenantService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: TenantAccess,
    private readonly auditLog: TenantAuditLog,
    private readonly quotas: TenantQuotas & {
      /** Charges one creation to the user's hourly quota (RATE_LIMITED when spent); counted in Redis like the other rate limits. */
      chargeCreation: (userId: string) => Promise<void>;
    },
  ) {}

  /**
   * Creates a tenant, PROVISIONING, with the caller as OWNER; `tenant.created` starts onboarding.
   * Within the caller's quotas (each tenant is a schema, tables and emails): TENANTS_PER_USER live
   * tenants created, TENANT_CREATIONS_PER_USER_PER_HOUR tries an hour (a tenant deleted since still
   * counts); platform admins are exempt.
   */
  async create(ctx: RequestContext, input: { name: string; slug: string }): Promise<Tenant> {
    const viewer = signedIn(ctx);
    const name = rules.displayName('name', input.name);
    const slug = tenantRules.slug('slug', input.slug);
    const id = uuidv7();
    if (!viewer.isPlatformAdmin) await this.quotas.chargeCreation(viewer.userId);
    try {
      return await this.transactions.run(this.origin(ctx, id), async (tx) => {
        if (!viewer.isPlatformAdmin) await this.checkQuotas(tx.manager, viewer.userId);
        const now = new Date();
        const tenant = tx.manager.create(Tenant, {
          id,
          slug,
          name,
          status: 'PROVISIONING',
          createdBy: viewer.userId,
          onboardingStep: 'PROVISION_SCHEMA',
          onboardingError: null,
          onboardingCompletedAt: null,
          schemaVersion: '0',
          createdAt: now,
          updatedAt: now,
          deletedAt: null,
        });
        await tx.manager.insert(Tenant, tenant);
        await tx.manager.insert(Membership, { tenantId: id, userId: viewer.userId, role: 'OWNER', createdAt: now, updatedAt: now });
        tx.record('tenant.created', { tenantId: id, slug, name, ownerId: viewer.userId });
        return tenant;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'tenants_slug_live')) throw new ConflictError(SLUG_TAKEN, 'slug');
      throw error;
    }
  }

  /** One tenant by id or slug (exactly one of them), for its members and platform admins. */
  async get(ctx: RequestContext, ref: { id?: string | null; slug?: string | null }): Promise<Tenant> {
    if ((ref.id == null) === (ref.slug == null)) throw new BadUserInputError('id', 'Give either id or slug.');
    const key = ref.id != null ? { id: ref.id } : { slug: ref.slug!.trim().toLowerCase() };
    return (await this.access.require(ctx, key, ANY_MEMBER)).tenant;
  }

  /** The viewer's live tenants (all of them for platform admins), oldest first. */
  async list(ctx: RequestContext, args: { first?: number | null; after?: string | null }): Promise<Connection<Tenant>> {
    const viewer = signedIn(ctx);
    const size = pageSize(args.first);
    if (args.after && !isUuid(args.after)) {
      throw new BadUserInputError('after', 'Pass the endCursor from a previous page.');
    }
    const query = this.dataSource
      .getRepository(Tenant)
      .createQueryBuilder('t')
      .where('t.deleted_at IS NULL')
      .orderBy('t.id', 'ASC')
      .limit(size + 1);
    if (!viewer.isPlatformAdmin) {
      query.andWhere('EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = t.id AND m.user_id = :userId)', {
        userId: viewer.userId,
      });
    }
    if (args.after) query.andWhere('t.id > :after', { after: args.after });
    return connection(await query.getMany(), size, (tenant) => tenant.id);
  }

  /** Renames a tenant or changes its slug (OWNER, ADMIN). Records `tenant.updated` when something changed. */
  async update(ctx: RequestContext, id: string, input: { name?: string | null; slug?: string | null }): Promise<Tenant> {
    const changes: { name?: string; slug?: string } = {};
    if (input.name != null) changes.name = rules.displayName('name', input.name);
    if (input.slug != null) changes.slug = tenantRules.slug('slug', input.slug);
    try {
      return await this.transactions.run(this.origin(ctx, id), async (tx) => {
        const { tenant } = await this.access.require(ctx, { id }, OWNER_OR_ADMIN, { manager: tx.manager, lock: true });
        const fields = (Object.keys(changes) as (keyof typeof changes)[]).filter((field) => changes[field] !== tenant[field]);
        if (fields.length === 0) return tenant;
        const updated = Object.assign(tenant, changes, { updatedAt: new Date() });
        await tx.manager.update(Tenant, { id }, { ...changes, updatedAt: updated.updatedAt });
        tx.record('tenant.updated', { tenantId: id, fields, slug: updated.slug, name: updated.name ?? '' });
        return updated;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'tenants_slug_live')) throw new ConflictError(SLUG_TAKEN, 'slug');
      throw error;
    }
  }

  /**
   * Deletes a tenant (OWNER): DELETING at once, gone for its members, its slug free again;
   * `tenant.deleted` has the purge listener drop its data.
   */
  async delete(ctx: RequestContext, id: string): Promise<Tenant> {
    return this.transactions.run(this.origin(ctx, id), async (tx) => {
      const { tenant } = await this.access.require(ctx, { id }, OWNER_ONLY, { manager: tx.manager, lock: true });
      const now = new Date();
      await tx.manager.update(Tenant, { id }, { status: 'DELETING', deletedAt: now, updatedAt: now });
      tx.record('tenant.deleted', { tenantId: id, slug: tenant.slug });
      return Object.assign(tenant, { status: 'DELETING' as const, deletedAt: now, updatedAt: now });
    });
  }

  /**
   * Puts a FAILED tenant's dead onboarding step back in line with a fresh set of attempts, and
   * the tenant back to PROVISIONING (platform admins). CONFLICT when there is nothing to retry.
   */
  async retryOnboarding(ctx: RequestContext, id: string): Promise<Tenant> {
    return this.transactions.run(this.origin(ctx, id), async (tx) => {
      const { tenant } = await this.access.require(ctx, { id }, PLATFORM_ADMINS_ONLY, { manager: tx.manager, lock: true });
      if (tenant.status !== 'FAILED') {
        throw new ConflictError(`This tenant is ${tenant.status}; only a FAILED onboarding can be retried.`);
      }
      const requeued: { listener: string }[] = await tx.manager.query(
        `WITH requeued AS (
           UPDATE deliveries d
           SET status = 'pending', attempts = 0, due_at = now(), locked_by = NULL, updated_at = now()
           FROM events e
           WHERE e.id = d.event_id AND e.tenant_id = $1 AND d.status = 'dead' AND d.listener = ANY($2)
           RETURNING d.listener
         ) SELECT listener FROM requeued`,
        [id, Object.values(ONBOARDING_LISTENERS)],
      );
      if (requeued.length === 0) {
        throw new ConflictError('No onboarding step of this tenant is dead; it may have been retried already.');
      }
      const now = new Date();
      await tx.manager.update(Tenant, { id }, { status: 'PROVISIONING', onboardingError: null, updatedAt: now });
      tx.record('tenant.onboarding.retried', { tenantId: id, steps: requeued.map((row) => row.listener) });
      return Object.assign(tenant, { status: 'PROVISIONING' as const, onboardingError: null, updatedAt: now });
    });
  }

  /** A page of the tenant's audit log, newest first (OWNER, ADMIN, platform admins). */
  async auditEntries(
    ctx: RequestContext,
    tenantId: string,
    args: { first?: number | null; after?: string | null },
  ): Promise<Connection<TenantAuditEntry>> {
    const size = pageSize(args.first);
    const before = numericCursor('after', args.after);
    await this.access.require(ctx, { id: tenantId }, OWNER_OR_ADMIN);
    try {
      return connection(await this.auditLog.page(tenantId, size + 1, before), size, (entry) => entry.id);
    } catch (error) {
      // Not provisioned yet: nothing audited in the tenant's own log so far.
      if (error instanceof TenantSchemaMissingError) return connection<TenantAuditEntry>([], size, (entry) => entry.id);
      throw error;
    }
  }

  /** Refuses a tenant over the user's live quota; the user's row is locked, so creations sent at once count one by one. */
  private async checkQuotas(manager: EntityManager, userId: string): Promise<void> {
    if (!(await lockLiveUserForUpdate(manager, userId))) throw new NotFoundError('This account no longer exists.');
    const [created]: { live: number }[] = await manager.query(
      `SELECT count(*)::int AS live FROM tenants WHERE created_by = $1 AND deleted_at IS NULL`,
      [userId],
    );
    if (created.live >= this.quotas.perUser) {
      throw new ForbiddenError(
        `You have created ${created.live} workspaces, the most one account may have; delete one you no longer need, or ask a platform admin.`,
      );
    }
  }

  private origin(ctx: RequestContext, tenantId: string): EventOrigin {
    return { actorId: ctx.viewer?.userId ?? null, tenantId, context: eventContextOf(ctx) };
  }
}
