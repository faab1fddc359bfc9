import type { AccountsConfig } from '../config';
import { defineListener } from '../events/listener';
import { changedRows } from '../db/changed-rows';

/**
 * tenant.invitation.created / resent, INVITATION_TTL (7 days) later → the invitation is EXPIRED
 * and `tenant.invitation.expired` recorded, if it is still PENDING and its time is up (a resend
 * moved it later: the later delivery expires it then). A delivery due later, not a sweep of all rows.
 */
export function expireInvitation(deps: { accounts: AccountsConfig }) {
  return defineListener({
    name: 'expire-invitation',
    on: ['tenant.invitation.created', 'tenant.invitation.resent'],
    delayMs: deps.accounts.invitationTtl * 1000,
    async handle(event, ctx) {
      const { tenantId, invitationId } = event.payload;
      await ctx.complete(async (tx) => {
        const expired: { id: string }[] = await changedRows(tx.manager, 
          `UPDATE invitations SET status = 'EXPIRED', responded_at = now(), updated_at = now()
           WHERE id = $1 AND status = 'PENDING' AND expires_at <= now() RETURNING id`,
          [invitationId],
        );
        if (expired.length === 0) return;
        await tx.manager.query(
          `UPDATE link_tokens SET used_at = now() WHERE subject_id = $1 AND purpose = 'invitation' AND used_at IS NULL`,
          [invitationId],
        );
        tx.record('tenant.invitation.expired', { tenantId, invitationId }, { actorId: null });
      });
    },
  });
}
