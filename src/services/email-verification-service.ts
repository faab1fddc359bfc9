import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { isUniqueViolation } from '../db/postgres-errors';
import { User } from '../entities';
import { ConflictError, NotFoundError } from '../errors/domain-errors';
import type { Transactions, Tx } from '../events/transactions';
import type { AccountsConfig } from '../config';
import {
  emailChangeLinkEmail,
  emailChangeNoticeEmail,
  emailChangeTakenEmail,
  verifyEmailReminder,
} from '../mail/account-templates';
import type { EmailLinks } from '../mail/email-links';
import type { EmailRequestLimits } from './email-request-limits';
import { signedIn } from './access';
import { queueEmail } from './email-outbox';
import { queueLinkEmail } from './link-emails';
import * as rules from './input-rules';
import type { LinkTokenStore } from './link-token-store';
import type { PasswordCheck } from './password-check';
import { eventContextOf, type RequestContext } from './request-context';
import { lockLiveUserForUpdate } from './user-rows';

/**
 * Proving an address: `verifyEmail` with the link from the welcome, reminder or resent email (or
 * from `changeEmail`, for a new address), `resendVerificationEmail`, and `changeEmail`.
 */
export class EmailVerificationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly linkTokens: LinkTokenStore,
    private readonly passwordCheck: PasswordCheck,
    private readonly limits: EmailRequestLimits,
    private readonly links: EmailLinks,
    private readonly accounts: AccountsConfig,
  ) {}

  /**
   * Uses a verification link: the address it was sent to is the account's, verified. For a link of
   * `changeEmail` the account's email becomes that address (`user.email.changed`). Anyone holding
   * the link may use it (it proves the mailbox, not a session). BAD_USER_INPUT (`token`) when the
   * link is unknown, used or expired; CONFLICT when the new address was taken meanwhile.
   */
  async verify(ctx: RequestContext, token: string): Promise<User> {
    const raw = rules.token('token', token);
    try {
      return await this.transactions.run({ actorId: null, context: eventContextOf(ctx) }, async (tx) => {
        const link = await this.linkTokens.consume(tx.manager, raw, ['verify_email', 'change_email']);
        const user = await lockLiveUserForUpdate(tx.manager, link.subjectId);
        if (!user) throw new NotFoundError('This account no longer exists.');
        const actor = { actorId: user.id };
        if (link.purpose === 'change_email') {
          const from = user.email;
          await tx.manager.update(User, { id: user.id }, { email: link.email, emailVerifiedAt: new Date() });
          // Links sent to the old address no longer speak for this account.
          await this.linkTokens.endOpen(tx.manager, user.id, ['verify_email', 'reset_password', 'change_email']);
          tx.record('user.email.changed', { userId: user.id, from, to: link.email }, actor);
          tx.record('user.email.verified', { userId: user.id, email: link.email }, actor);
          return Object.assign(user, { email: link.email, emailVerifiedAt: new Date() });
        }
        // A link sent to an address the account no longer has proves nothing about the current one.
        if (link.email !== user.email) {
          throw new ConflictError('This link was sent to an address this account no longer uses; nothing changed.', 'token');
        }
        if (user.emailVerifiedAt) return user;
        const verifiedAt = new Date();
        await tx.manager.update(User, { id: user.id }, { emailVerifiedAt: verifiedAt });
        tx.record('user.email.verified', { userId: user.id, email: user.email }, actor);
        return Object.assign(user, { emailVerifiedAt: verifiedAt });
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError('Another account uses this address now, so it cannot become yours.', 'token');
      }
      throw error;
    }
  }

  /**
   * Sends the signed-in user a new verification link (rate limited per address). False when the
   * address is verified already: nothing to send.
   */
  async resend(ctx: RequestContext): Promise<boolean> {
    const viewer = signedIn(ctx);
    await this.limits.charge('verify', viewer.email);
    return this.transactions.run({ actorId: viewer.userId, context: eventContextOf(ctx) }, async (tx) => {
      const user = await lockLiveUserForUpdate(tx.manager, viewer.userId);
      if (!user || user.emailVerifiedAt) return false;
      await this.sendLink(tx, user);
      return true;
    });
  }

  /** A fresh verification link to the user's address, queued in `tx` (also the support tool's). */
  async sendLink(tx: Tx, user: User): Promise<void> {
    tx.record('user.email.verification_requested', { userId: user.id });
    const validFor = this.accounts.emailVerificationTtl;
    await queueLinkEmail(
      tx,
      { linkTokens: this.linkTokens, links: this.links },
      { purpose: 'verify_email', subjectId: user.id, to: user.email, ttlSeconds: validFor },
      { template: 'verify-email', render: (verifyUrl) => verifyEmailReminder({ name: user.name, verifyUrl, validFor, reminder: false }) },
    );
  }

  /**
   * Asks to move the account to `newEmail` (the current password confirms it): a link goes to the
   * new address and a notice to the old one; the address changes only when the link is used. When
   * an account has the new address already, that address gets a notice instead of a link, and the
   * answer is the same: it never tells whether an address has an account.
   */
  async changeEmail(ctx: RequestContext, input: { newEmail: string; currentPassword: string }): Promise<boolean> {
    const viewer = signedIn(ctx);
    const newEmail = rules.email('newEmail', input.newEmail);
    const current = await this.dataSource.getRepository(User).findOneBy({ id: viewer.userId });
    if (!current) throw new NotFoundError('This account no longer exists.');
    await this.passwordCheck.confirm(ctx, current, rules.typedPassword('currentPassword', input.currentPassword), 'currentPassword');
    if (newEmail === current.email) throw new ConflictError('This is your email address already.', 'newEmail');
    await this.limits.charge('change-email', current.email);

    return this.transactions.run({ actorId: viewer.userId, context: eventContextOf(ctx) }, async (tx) => {
      const user = await lockLiveUserForUpdate(tx.manager, viewer.userId);
      if (!user) throw new NotFoundError('This account no longer exists.');
      // A new request replaces any earlier one: only the newest link can change the address.
      await this.linkTokens.endOpen(tx.manager, user.id, ['change_email']);
      const requestId = uuidv7();
      if (await tx.manager.existsBy(User, { email: newEmail })) {
        await queueEmail(tx, { sourceEventId: requestId, template: 'email-change-taken', to: newEmail, content: emailChangeTakenEmail() });
      } else {
        const validFor = this.accounts.emailVerificationTtl;
        await queueLinkEmail(
          tx,
          { linkTokens: this.linkTokens, links: this.links },
          { purpose: 'change_email', subjectId: user.id, to: newEmail, ttlSeconds: validFor },
          { sourceEventId: requestId, template: 'email-change-link', render: (verifyUrl) => emailChangeLinkEmail({ name: user.name, verifyUrl, validFor }) },
        );
      }
      await queueEmail(tx, {
        sourceEventId: requestId,
        template: 'email-change-notice',
        to: user.email,
        content: emailChangeNoticeEmail({ name: user.name, newEmail, consoleUrl: this.links.console }),
      });
      tx.record('user.email.change_requested', { userId: user.id });
      return true;
    });
  }
}
