import { defineListener } from '../events/listener';

/**
 * Every state-changing mutation → one platform audit entry (who, what, when, from where) and
 * `audit.action.performed`. The entry is unique per event, and it commits with the delivery.
 */
export function recordAuditEntry() {
  return defineListener({
    name: 'record-audit-entry',
    on: [
      'user.registered',
      'user.login',
      'user.profile.updated',
      'auth.token.refreshed',
      'auth.logout',
      'tenant.created',
      'tenant.updated',
      'tenant.deleted',
      'tenant.member.added',
      'tenant.member.removed',
    ],
    async handle(event, ctx) {
      const subjectId = 'tenantId' in event.payload ? event.payload.tenantId : event.payload.userId;
      await ctx.complete(async (tx) => {
        await tx.manager.query(
          `INSERT INTO audit_entries (event_id, tenant_id, actor_id, action, subject_id, ip, user_agent, request_id, occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            event.id,
            event.tenantId,
            event.actorId,
            event.name,
            subjectId,
            event.context.ip,
            event.context.userAgent,
            event.context.requestId,
            event.occurredAt,
          ],
        );
        tx.record('audit.action.performed', { action: event.name, sourceEventId: event.id, subjectId });
      });
    },
  });
}
