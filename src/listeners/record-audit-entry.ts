import { defineListener } from '../events/listener';
import { anyErased } from '../services/user-rows';
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
      'user.email.verified',
      'user.email.verification_requested',
      'user.email.change_requested',
      'user.email.changed',
      'user.deleted',
      'auth.token.refreshed',
      'auth.logout',
      'auth.password.reset',
      'auth.password.changed',
      'auth.session.revoked',
      'auth.account.unlocked',
      'tenant.created',
      'tenant.updated',
      'tenant.deleted',
      'tenant.member.added',
      'tenant.member.removed',
      'tenant.member.role_changed',
      'tenant.member.left',
      'tenant.onboarding.retried',
      'tenant.invitation.created',
      'tenant.invitation.resent',
      'tenant.invitation.accepted',
      'tenant.invitation.declined',
      'tenant.invitation.revoked',
      'tenant.invitation.expired',
      'webhook.endpoint.created',
      'webhook.endpoint.updated',
      'webhook.endpoint.deleted',
      'webhook.endpoint.disabled',
      'webhook.endpoint.enabled',
      'webhook.secret.rotated',
      'webhook.test',
    ],
    async handle(event, ctx) {
      // The user (or member) the event is about, else the invitation or webhook endpoint, else its tenant.
      const payload = event.payload as { userId?: string; invitationId?: string; endpointId?: string; tenantId?: string };
      const subjectId = payload.userId ?? payload.invitationId ?? payload.endpointId ?? payload.tenantId ?? null;
      await ctx.complete(async (tx) => {
        // Read before an erasure of its actor or subject, the event may still carry their address.
        const erased = await anyErased(tx.manager, [event.actorId, subjectId]);
        const audited = erased ? { ...event, context: { ...event.context, ip: null, userAgent: null } } : event;
        const inTenantLog = await deps.tenantAuditLog.write(tx.manager, audited, subjectId);
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
              audited.context.ip,
              audited.context.userAgent,
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
