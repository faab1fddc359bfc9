import type { TokenRevocationReason } from '../events/catalog';
import type { Tx } from '../events/transactions';
import { changedRows } from '../db/changed-rows';

/**
 * Ends every live session of a user (but `except`), recording `auth.token.revoked` for each: their
 * refresh tokens stop working, their access tokens with them (checked on every request), and their
 * WebSockets close on every instance (src/subscriptions/revocations.ts). Returns how many ended.
 */
export async function endSessions(
  tx: Tx,
  userId: string,
  reason: TokenRevocationReason,
  options: { except?: string | null } = {},
): Promise<number> {
  const ended: { id: string }[] = await changedRows(tx.manager, 
    `UPDATE sessions SET revoked_at = now(), revoked_reason = $2
     WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() AND ($3::uuid IS NULL OR id <> $3::uuid)
     RETURNING id`,
    [userId, reason, options.except ?? null],
  );
  for (const { id } of ended) tx.record('auth.token.revoked', { userId, sessionId: id, reason });
  return ended.length;
}
