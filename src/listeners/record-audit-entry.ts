import { defineListener } from '../events/listener';
import type { TenantAuditLog } from '../services/tenant-audit-log';

/**
 * Every state-changing mutation → one audit entry (who, what, when, from where) and
 * `audit.action.performed`: in the tenant's own audit log when the event is a tenant's and its
 * schema exists, in the platform's otherwise. The entry is unique per event, and it commits with
 * the delivery.
 */
export function recordAuditEntry(deps: { tenantAuditLog: TenantAuditLog }) {
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
      'tenant.member.role_changed',
      'tenant.onboarding.retried',
    ],
    async handle(event, ctx) {
      // The user (or member) the event is about, else its tenant.
      const subjectId = 'userId' in event.payload ? event.payload.userId : event.payload.tenantId;
      await ctx.complete(async (tx) => {
        const inTenantLog = await deps.tenantAuditLog.write(tx.manager, event, subjectId);
        if (!inTenantLog) {
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
        }
        tx.record('audit.action.performed', { action: event.name, sourceEventId: event.id, subjectId });
      });
    },
  });
}
