import type { DataSource } from 'typeorm';
import type { PasswordHasher } from '../auth/password-hasher';
import { newPassword } from '../auth/password-policy';
import { Session, User } from '../entities';
import { NotFoundError, UnauthenticatedError } from '../errors/domain-errors';
import type { Transactions } from '../events/transactions';
import type { AuthRateLimits } from './auth-rate-limits';
import { signedIn } from './access';
import type { EmailRequestLimits } from './email-request-limits';
import * as rules from './input-rules';
import type { LinkTokenStore } from './link-token-store';
import { clearAccountLock } from './login-failure-counters';
import type { PasswordCheck } from './password-check';
import { eventContextOf, type RequestContext } from './request-context';
import { endSessions } from './session-ends';
import type { AuthResult, TokenIssuer } from './token-issuer';
import { lockLiveUserForUpdate } from './user-rows';

/** Forgotten and changed passwords. */
export class PasswordService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly hasher: PasswordHasher,
    private readonly passwordCheck: PasswordCheck,
    private readonly linkTokens: LinkTokenStore,
    private readonly issuer: TokenIssuer,
    private readonly rateLimits: AuthRateLimits,
    private readonly emailLimits: EmailRequestLimits,
  ) {}

  /**
   * Asks for a reset link. Answers true whether or not an account has the address, after the same
   * work either way (one lookup, one transaction recording `auth.password.reset_requested`): the
   * email is queued by a listener after the answer, so neither the answer nor its timing tells
   * whether the address has an account.
   */
  async requestReset(ctx: RequestContext, input: { email: string }): Promise<boolean> {
    await this.rateLimits.chargeIp('requestPasswordReset', ctx.ip);
    const email = rules.email('email', input.email);
    await this.emailLimits.charge('reset', email);
    const [user]: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL`,
      [email],
    );
    const userId = user?.id ?? null;
    await this.transactions.run({ actorId: userId, context: eventContextOf(ctx) }, async (tx) => {
      tx.record('auth.password.reset_requested', { userId, email });
    });
    return true;
  }

  /**
   * Sets a new password with a reset link: the link is used up (with any other open reset link),
   * the address is verified (the link proved the mailbox), every session ends (their sockets close
   * on every instance), a lock from failed logins is lifted, and a notice goes out.
   */
  async reset(ctx: RequestContext, input: { token: string; newPassword: string }): Promise<boolean> {
    await this.rateLimits.chargeIp('resetPassword', ctx.ip);
    const token = rules.token('token', input.token);
    const password = newPassword('newPassword', input.newPassword);
    const passwordHash = await this.passwordCheck.inTurn(ctx, () => this.hasher.hash(password));
    const reset = await this.transactions.run({ actorId: null, context: eventContextOf(ctx) }, async (tx) => {
      const link = await this.linkTokens.consume(tx.manager, token, ['reset_password']);
      const user = await lockLiveUserForUpdate(tx.manager, link.subjectId);
      if (!user) throw new NotFoundError('This account no longer exists.');
      const actor = { actorId: user.id };
      const provesAddress = link.email === user.email;
      await tx.manager.update(User, { id: user.id }, {
        passwordHash,
        ...(provesAddress && !user.emailVerifiedAt ? { emailVerifiedAt: new Date() } : {}),
      });
      await this.linkTokens.endOpen(tx.manager, user.id, ['reset_password']);
      await clearAccountLock(tx.manager, user.email);
      const sessionsEnded = await endSessions(tx, user.id, 'password_reset');
      tx.record('auth.password.reset', { userId: user.id, sessionsEnded }, actor);
      if (provesAddress && !user.emailVerifiedAt) tx.record('user.email.verified', { userId: user.id, email: user.email }, actor);
      return user.email;
    });
    // Sign-ins others spent this account's per-account limit on no longer hold its owner back.
    await this.rateLimits.forgetAccount('login', reset);
    return true;
  }

  /**
   * Changes the password of the signed-in user, who confirms the current one: every other session
   * ends; this one goes on with a new pair of tokens, which the answer carries.
   */
  async change(ctx: RequestContext, input: { currentPassword: string; newPassword: string }): Promise<AuthResult> {
    const viewer = signedIn(ctx);
    const current = await this.dataSource.getRepository(User).findOneBy({ id: viewer.userId });
    if (!current) throw new NotFoundError('This account no longer exists.');
    await this.passwordCheck.confirm(ctx, current, rules.typedPassword('currentPassword', input.currentPassword), 'currentPassword');
    const next = newPassword('newPassword', input.newPassword);
    const passwordHash = await this.passwordCheck.inTurn(ctx, () => this.hasher.hash(next));
    return this.transactions.run({ actorId: viewer.userId, context: eventContextOf(ctx) }, async (tx) => {
      const user = await lockLiveUserForUpdate(tx.manager, viewer.userId);
      const session = await tx.manager.findOneBy(Session, { id: viewer.sessionId });
      if (!user || !session || session.revokedAt) throw new UnauthenticatedError('Your session has ended: sign in again.');
      await tx.manager.update(User, { id: user.id }, { passwordHash });
      // Reset links sent before this change would undo it.
      await this.linkTokens.endOpen(tx.manager, user.id, ['reset_password']);
      const sessionsEnded = await endSessions(tx, user.id, 'password_changed', { except: session.id });
      tx.record('auth.password.changed', { userId: user.id, sessionsEnded });
      return this.issuer.reissue(tx.manager, session, Object.assign(user, { passwordHash }));
    });
  }
}
