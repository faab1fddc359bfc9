import type { DataSource } from 'typeorm';
import type { TenantDatabase } from '../../db/tenant-database';
import { Membership, Tenant, User } from '../../entities';
import { ConflictError, NotFoundError } from '../../errors/domain-errors';
import type { Transactions } from '../../events/transactions';
import { signedIn } from '../access';
import * as rules from '../input-rules';
import type { PasswordCheck } from '../password-check';
import type { RequestContext } from '../request-context';
import { lockLiveUserForUpdate } from '../user-rows';
import { eraseAccountRecords, eraseFromAuditLogs, eraseFromEmailLog, eraseFromEvents, eraseUserRow } from './erase-records';
import { cancelMessagesAboutUser } from '../../webhooks/endpoint-state';
import { gatherPersonalData } from './personal-data';

/**
 * `deleteAccount`: the right to erasure. In one transaction, every session ends (sockets close on
 * every instance), memberships go, what was still due for the person is cancelled, and their
 * address, name, client addresses and agents are removed from every record: the account row,
 * sessions, events (payload and context rewritten in place with a fixed marker; the store is
 * otherwise append-only), audit entries of every tenant, failed-login counters, links,
 * invitations and the email log. Ids stay, so history still adds up. What was delivered already
 * (emails sent, events pushed to sockets) cannot be recalled.
 */
export class AccountErasure {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly passwordCheck: PasswordCheck,
    private readonly tenantDatabase: TenantDatabase,
  ) {}

  async deleteAccount(ctx: RequestContext, input: { password: string }): Promise<boolean> {
    const viewer = signedIn(ctx);
    const current = await this.dataSource.getRepository(User).findOneBy({ id: viewer.userId });
    if (!current || current.deletedAt) throw new NotFoundError('This account no longer exists.');
    await this.passwordCheck.confirm(ctx, current, rules.typedPassword('password', input.password), 'password');

    // The events of erasure carry no client address or agent: they would be the person's.
    const context = { requestId: ctx.requestId, ip: null, userAgent: null, traceparent: ctx.traceparent ?? null };
    return this.transactions.run({ actorId: viewer.userId, context }, async (tx) => {
      const user = await lockLiveUserForUpdate(tx.manager, viewer.userId);
      if (!user) throw new NotFoundError('This account no longer exists.');
      const memberships = await tx.manager.findBy(Membership, { userId: user.id });
      for (const membership of memberships) {
        const tenant = await tx.manager
          .createQueryBuilder(Tenant, 't')
          .setLock('pessimistic_write')
          .where('t.id = :id AND t.deleted_at IS NULL', { id: membership.tenantId })
          .getOne();
        if (!tenant || membership.role !== 'OWNER') continue;
        const owners = await tx.manager.countBy(Membership, { tenantId: tenant.id, role: 'OWNER' });
        if (owners <= 1) {
          throw new ConflictError(
            `You are the last owner of “${tenant.name ?? tenant.slug}”: make someone else its owner, or delete it, first.`,
          );
        }
      }

      const data = await gatherPersonalData(tx.manager, user);
      const live: { id: string }[] = await tx.manager.query(
        `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()`,
        [user.id],
      );
      for (const { id } of live) tx.record('auth.token.revoked', { userId: user.id, sessionId: id, reason: 'account_deleted' });
      for (const membership of memberships) {
        await tx.manager.delete(Membership, { tenantId: membership.tenantId, userId: user.id });
        tx.record('tenant.member.left', { tenantId: membership.tenantId, userId: user.id }, { tenantId: membership.tenantId });
      }

      await eraseAccountRecords(tx.manager, data);
      await eraseFromEvents(tx.manager, data);
      await eraseFromEmailLog(tx.manager, data);
      await eraseFromAuditLogs(tx.manager, this.tenantDatabase, data);
      await cancelMessagesAboutUser(tx.manager, user.id);
      await eraseUserRow(tx.manager, user.id);
      tx.record('user.deleted', { userId: user.id });
      return true;
    });
  }
}
