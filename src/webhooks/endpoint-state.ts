import { changedRows } from '../db/changed-rows';
import type { WebhookDisabledReason } from '../events/catalog';
import type { EntityManager } from 'typeorm';
import type { Tx } from '../events/transactions';
import { endpointDependency, WEBHOOK_LISTENER } from './webhook-routing';

/**
 * Disables an endpoint in `tx`, if it is enabled: no new messages are written for it, its messages
 * still due are cancelled (dead; `replayWebhookMessages` sends them again), its circuit breaker is
 * forgotten, and `webhook.endpoint.disabled` is recorded. Returns false when it was not enabled.
 */
export async function disableEndpoint(
  tx: Tx,
  endpointId: string,
  reason: WebhookDisabledReason,
  explanation: string,
): Promise<boolean> {
  const [endpoint] = await changedRows<{ tenant_id: string }>(
    tx.manager,
    `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now()
     WHERE id = $1 AND enabled AND deleted_at IS NULL RETURNING tenant_id`,
    [endpointId, explanation],
  );
  if (!endpoint) return false;
  const cancelled = await cancelMessages(tx, endpointId, `endpoint disabled: ${explanation}`);
  tx.record('webhook.endpoint.disabled', { tenantId: endpoint.tenant_id, endpointId, reason, cancelled }, { tenantId: endpoint.tenant_id });
  return true;
}

/** Marks an endpoint's waiting messages dead with `why`, and forgets its breaker; returns how many. */
export async function cancelMessages(tx: Tx, endpointId: string, why: string): Promise<number> {
  const dependency = endpointDependency(endpointId);
  const cancelled: unknown[] = await tx.manager.query(
    `WITH cancelled AS (
       UPDATE deliveries SET status = 'dead', last_error = $3, held_until = NULL, locked_by = NULL, updated_at = now()
       WHERE dependency = $1 AND listener = $2 AND status = 'pending' RETURNING id
     ) SELECT id FROM cancelled`,
    [dependency, WEBHOOK_LISTENER, why],
  );
  await tx.manager.query(`DELETE FROM circuit_breakers WHERE key = $1`, [dependency]);
  return cancelled.length;
}

/**
 * Cancels the webhook messages still due whose event is about `userId` (its actor, its subject, or
 * its payload's user): an erased account's (DESIGN §6b, erasure). Returns how many.
 */
export async function cancelMessagesAboutUser(manager: EntityManager, userId: string): Promise<number> {
  const cancelled: unknown[] = await manager.query(
    `WITH cancelled AS (
       UPDATE deliveries d SET status = 'dead', last_error = 'cancelled: the account it is about was erased',
              held_until = NULL, locked_by = NULL, updated_at = now()
       FROM events e
       WHERE e.id = d.event_id AND d.listener = $2 AND d.status = 'pending'
         AND (e.actor_id = $1 OR e.subject_user_id = $1 OR e.payload->>'userId' = $1::text)
       RETURNING d.id
     ) SELECT id FROM cancelled`,
    [userId, WEBHOOK_LISTENER],
  );
  return cancelled.length;
}
