import type { EntityManager } from 'typeorm';
import type { TenantDatabase } from '../db/tenant-database';
import { TenantAuditEntry } from '../entities';
import type { EventEnvelope } from '../events/envelope';

/** A tenant's audit log, kept in the tenant's own schema (`audit_log`). */
export class TenantAuditLog {
  constructor(private readonly tenantDatabase: TenantDatabase) {}

  /**
   * Writes the entry of `event` into its tenant's audit log, inside the caller's transaction.
   * Returns false, writing nothing, when the event belongs to no tenant or to one without a schema
   * (not provisioned yet, or purged): the platform audit log takes it then. `tenant.deleted`
   * always goes to the platform log, since the purge is about to drop the tenant's.
   */
  async write(manager: EntityManager, event: EventEnvelope, subjectId: string | null): Promise<boolean> {
    const tenantId = event.tenantId;
    if (!tenantId || event.name === 'tenant.deleted') return false;
    if (!(await this.tenantDatabase.exists(manager, tenantId))) return false;
    await this.tenantDatabase.within(manager, tenantId, (db) =>
      db.insert(TenantAuditEntry, {
        eventId: event.id,
        actorId: event.actorId,
        action: event.name,
        subjectId,
        ip: event.context.ip,
        userAgent: event.context.userAgent,
        requestId: event.context.requestId,
        occurredAt: new Date(event.occurredAt),
      }),
    );
    return true;
  }

  /**
   * Up to `limit` entries older than the entry `beforeId` (all when null), newest first by when
   * their event happened (entries are written by a listener, not always in event order); none
   * without a schema.
   */
  async page(tenantId: string, limit: number, beforeId: string | null): Promise<TenantAuditEntry[]> {
    return this.tenantDatabase.transaction(tenantId, async (db) => {
      const query = db
        .createQueryBuilder(TenantAuditEntry, 'a')
        .orderBy('a.occurredAt', 'DESC')
        .addOrderBy('a.id', 'DESC')
        .limit(limit);
      if (beforeId) {
        query.where('(a.occurred_at, a.id) < (SELECT b.occurred_at, b.id FROM audit_log b WHERE b.id = :beforeId)', { beforeId });
      }
      return query.getMany();
    });
  }
}
