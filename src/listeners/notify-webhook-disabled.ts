import type { DataSource } from 'typeorm';
import { defineListener } from '../events/listener';
import { webhookDisabledEmail } from '../mail/tenant-templates';
import { queueEmail } from '../services/email-outbox';

/** webhook.endpoint.disabled for failing 5 days → an email to each OWNER of its tenant (queued; `send-email` delivers it). */
export function notifyWebhookDisabled(deps: { dataSource: DataSource }) {
  return defineListener({
    name: 'notify-webhook-disabled',
    on: ['webhook.endpoint.disabled'],
    async handle(event, ctx) {
      if (event.payload.reason !== 'failing') return; // a person did it, or the receiver asked (410)
      await ctx.complete(async (tx) => {
        const [endpoint]: { url: string; disabled_reason: string | null; tenant_name: string }[] = await tx.manager.query(
          `SELECT w.url, w.disabled_reason, t.name AS tenant_name FROM webhook_endpoints w JOIN tenants t ON t.id = w.tenant_id
           WHERE w.id = $1`,
          [event.payload.endpointId],
        );
        if (!endpoint) return;
        const owners: { email: string }[] = await tx.manager.query(
          `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND m.role = 'OWNER'`,
          [event.payload.tenantId],
        );
        const content = webhookDisabledEmail({
          tenantName: endpoint.tenant_name,
          host: new URL(endpoint.url).host,
          reason: endpoint.disabled_reason ?? 'it kept failing',
        });
        for (const owner of owners) await queueEmail(tx, { sourceEventId: event.id, template: 'webhook-disabled', to: owner.email, content });
      });
    },
  });
}
