import type { TenantDatabase } from '../db/tenant-database';
import { Membership, Tenant } from '../entities';
import { defineListener } from '../events/listener';

/**
 * tenant.deleted → the tenant's schema dropped, its memberships deleted, the row cut down to a
 * tombstone (id, slug, status DELETED, timestamps) → tenant.database.dropped. One transaction:
 * the drop, the tombstone and the event commit together, and a rerun finds it DELETED and stops.
 */
export function purgeTenant(deps: { tenantDatabase: TenantDatabase }) {
  return defineListener({
    name: 'purge-tenant',
    on: ['tenant.deleted'],
    async handle(event, ctx) {
      const { tenantId } = event.payload;
      await ctx.complete(async (tx) => {
        // The same row lock as the onboarding steps: a step running now finishes first, and any
        // later one sees DELETING and does nothing.
        const tenant = await tx.manager
          .createQueryBuilder(Tenant, 't')
          .setLock('pessimistic_write')
          .where('t.id = :tenantId', { tenantId })
          .getOne();
        if (!tenant || tenant.status !== 'DELETING') return;
        const schema = await deps.tenantDatabase.drop(tx.manager, tenantId);
        await tx.manager.delete(Membership, { tenantId });
        await tx.manager.update(
          Tenant,
          { id: tenantId },
          {
            status: 'DELETED',
            name: null,
            createdBy: null,
            onboardingStep: null,
            onboardingError: null,
            onboardingCompletedAt: null,
            schemaVersion: '0',
            updatedAt: () => 'now()',
          },
        );
        tx.record('tenant.database.dropped', { tenantId, schema });
      });
    },
  });
}
