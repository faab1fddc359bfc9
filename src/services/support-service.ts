import type { DataSource } from 'typeorm';
import { User } from '../entities';
import { ConflictError, NotFoundError } from '../errors/domain-errors';
import type { Transactions } from '../events/transactions';
import { platformAdmin } from './access';
import type { EmailVerificationService } from './email-verification-service';
import * as rules from './input-rules';
import { clearAccountLock } from './login-failure-counters';
import { actorIdOf, eventContextOf, type RequestContext } from './request-context';
import { lockLiveUserForUpdate } from './user-rows';
import { changedRows } from '../db/changed-rows';

const NO_SUCH_ACCOUNT = 'No account has this email.';

/**
 * Platform admins' support tools, in the API and `npx herald user …`. Each records an event
 * attributed to the admin (the command line: to nobody), which the audit log keeps.
 */
export class SupportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly verification: EmailVerificationService,
  ) {}

  /** Lifts a lock that failed logins put on the account (and forgets its failures). False when it was not locked. */
  async unlockAccount(ctx: RequestContext, email: string): Promise<boolean> {
    platformAdmin(ctx);
    const user = await this.find(email);
    return this.transactions.run(this.origin(ctx), async (tx) => {
      const wasLocked = await clearAccountLock(tx.manager, user.email);
      tx.record('auth.account.unlocked', { userId: user.id });
      return wasLocked;
    });
  }

  /** Sends the user a new verification link; CONFLICT when the address is verified already. */
  async sendVerificationEmail(ctx: RequestContext, email: string): Promise<boolean> {
    platformAdmin(ctx);
    const found = await this.find(email);
    return this.transactions.run(this.origin(ctx), async (tx) => {
      const user = await lockLiveUserForUpdate(tx.manager, found.id);
      if (!user) throw new NotFoundError(NO_SUCH_ACCOUNT);
      if (user.emailVerifiedAt) throw new ConflictError('This address is verified already.', 'email');
      await this.verification.sendLink(tx, user);
      return true;
    });
  }

  /** Ends every session of the user (a stolen device, say); returns how many. */
  async endUserSessions(ctx: RequestContext, email: string): Promise<number> {
    platformAdmin(ctx);
    const user = await this.find(email);
    return this.transactions.run(this.origin(ctx), async (tx) => {
      const ended: { id: string }[] = await changedRows(tx.manager, 
        `UPDATE sessions SET revoked_at = now(), revoked_reason = 'support'
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() RETURNING id`,
        [user.id],
      );
      for (const { id } of ended) tx.record('auth.session.revoked', { userId: user.id, sessionId: id });
      return ended.length;
    });
  }

  private async find(email: string): Promise<User> {
    const user = await this.dataSource.getRepository(User).findOneBy({ email: rules.email('email', email) });
    if (!user || user.deletedAt) throw new NotFoundError(NO_SUCH_ACCOUNT);
    return user;
  }

  private origin(ctx: RequestContext) {
    return { actorId: actorIdOf(ctx), context: eventContextOf(ctx) };
  }
}
