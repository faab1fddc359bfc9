import type { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AccessTokens } from '../auth/access-tokens';
import type { DeviceTokens } from '../auth/device-tokens';
import { newPassword, normalisePassword } from '../auth/password-policy';
import { hashRefreshToken } from '../auth/refresh-tokens';
import { RefreshToken, Session, User } from '../entities';
import { isUniqueViolation } from '../db/postgres-errors';
import { ConflictError, UnauthenticatedError } from '../errors/domain-errors';
import type { Transactions, Tx } from '../events/transactions';
import type { Logger } from '../logger';
import type { AuthRateLimits } from './auth-rate-limits';
import { signedIn } from './access';
import * as rules from './input-rules';
import type { AdmittedTry, PasswordCheck } from './password-check';
import type { PlatformAdmins } from './platform-admins';
import { eventContextOf, type RequestContext, type Viewer } from './request-context';
import { endSessions } from './session-ends';
import type { AuthResult, TokenIssuer } from './token-issuer';

export type { AuthResult } from './token-issuer';

/** A rotated refresh token used again within this window is tolerated (two tabs refreshing at once). */
export const REUSE_GRACE_SECONDS = 10;

const BAD_CREDENTIALS = 'Email or password is incorrect.';
const BAD_REFRESH = 'This refresh token is no longer valid; sign in again.';

/** Registration, sign-in, token refresh and sign-out. Every outcome records its events. */
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly passwordCheck: PasswordCheck,
    private readonly accessTokens: AccessTokens,
    private readonly issuer: TokenIssuer,
    private readonly rateLimits: AuthRateLimits,
    private readonly platformAdmins: PlatformAdmins,
    private readonly logger: Logger,
    private readonly deviceTokens: DeviceTokens,
  ) {}

  /** Creates an account and signs it in; `user.registered` sends the welcome email with its verification link. */
  async register(ctx: RequestContext, input: { email: string; password: string; name: string }): Promise<AuthResult> {
    await this.rateLimits.chargeIp('register', ctx.ip);
    const email = rules.email('email', input.email);
    await this.rateLimits.chargeAccount('register', email);
    await this.rateLimits.checkRegisterConflicts(ctx.ip);
    const password = newPassword('password', input.password);
    const name = rules.displayName('name', input.name);
    const passwordHash = await this.passwordCheck.inTurn(ctx, () => this.passwordCheck.hasher.hash(password));

    try {
      const result = await this.transactions.run({ actorId: null, context: eventContextOf(ctx) }, async (tx) => {
        const user = tx.manager.create(User, {
          id: uuidv7(),
          email,
          name,
          passwordHash,
          adminGranted: false,
          emailVerifiedAt: null,
          deletedAt: null,
        });
        await tx.manager.insert(User, user);
        tx.record('user.registered', { userId: user.id, email, name }, { actorId: user.id });
        // The first device of an account: no "new device" email on top of the welcome one.
        return { ...(await this.issuer.openSession(ctx, tx, user)), deviceToken: this.deviceTokens.issue(user.id).token };
      });
      this.noteUnverifiedAdmin(result.user);
      return result;
    } catch (error) {
      if (isUniqueViolation(error)) {
        await this.rateLimits.countRegisterConflict(ctx.ip);
        throw new ConflictError('An account with this email exists already; sign in instead.', 'email');
      }
      throw error;
    }
  }

  /**
   * Signs in. Each try is counted as a failure before its password is checked (and given back if
   * it was right); while the failed-login counters throttle this account, IP or pair, the password
   * is not even checked: the answer is RATE_LIMITED and `auth.login.failed` says `locked`. With a
   * valid device token of this account, the try is throttled per device instead, and neither the
   * account's lock nor its per-account limit, which others' failures spend, applies; without one,
   * a success is a new device: `auth.device.new` emails the user. A password typed in another
   * Unicode form than its hash was made from still matches (see PasswordHasher.check), and the hash
   * is then replaced by one of the normalised form.
   */
  async login(ctx: RequestContext, input: { email: string; password: string; deviceToken?: string | null }): Promise<AuthResult> {
    await this.rateLimits.chargeIp('login', ctx.ip);
    const email = rules.email('email', input.email);
    const typed = rules.typedPassword('password', input.password);
    const user = await this.dataSource.getRepository(User).findOneBy({ email });
    const device = user ? this.deviceTokens.verify(input.deviceToken?.slice(0, 2048)) : null;
    const knownDevice = device && device.userId === user!.id ? device.deviceId : null;
    if (!knownDevice) await this.rateLimits.chargeAccount('login', email);
    const result = await this.passwordCheck.inTurn(ctx, async () => {
      const admitted = await this.passwordCheck.reserve(ctx, email, user?.id ?? null, { signIn: true, deviceId: knownDevice });
      // An unknown email costs the same verification work, so timing does not tell accounts apart.
      const { valid, rehash } = await this.passwordCheck.check(user, typed);
      const newHash = user && valid && rehash ? await this.passwordCheck.hasher.hash(normalisePassword(typed)) : null;
      return this.signIn(ctx, { user, email, valid, newHash, admitted, knownDevice });
    });
    if (!result) throw new UnauthenticatedError(BAD_CREDENTIALS);
    this.noteUnverifiedAdmin(result.user);
    return result;
  }

  /** Records the sign-in's outcome; opens the session when the password was right. */
  private signIn(
    ctx: RequestContext,
    attempt: { user: User | null; email: string; valid: boolean; newHash: string | null; admitted: AdmittedTry; knownDevice: string | null },
  ): Promise<AuthResult | null> {
    const { user, email, valid, newHash, admitted, knownDevice } = attempt;
    return this.transactions.run({ actorId: user?.id ?? null, context: eventContextOf(ctx) }, async (tx) => {
      tx.record('auth.login.attempt', { userId: user?.id ?? null, email });
      if (!user || !valid) {
        tx.record('auth.login.failed', { userId: user?.id ?? null, email, reason: user ? 'wrong_password' : 'unknown_email' });
        return null;
      }
      await this.passwordCheck.release(tx.manager, admitted);
      if (newHash) await tx.manager.update(User, { id: user.id }, { passwordHash: newHash });
      const opened = await this.issuer.openSession(ctx, tx, user);
      const device = this.deviceTokens.issue(user.id, knownDevice ?? undefined);
      if (!knownDevice) tx.record('auth.device.new', { userId: user.id, deviceId: device.deviceId }, { actorId: user.id });
      return { ...opened, deviceToken: device.token };
    });
  }

  /**
   * Exchanges a refresh token for a new pair, rotating it. The same token presented again within
   * REUSE_GRACE_SECONDS (two tabs at once) gets the same successor; later, it was stolen or leaked:
   * the whole session is revoked.
   */
  async refresh(ctx: RequestContext, token: string): Promise<AuthResult> {
    await this.rateLimits.chargeIp('refreshToken', ctx.ip);
    const raw = rules.token('token', token);
    const origin = { actorId: null, context: eventContextOf(ctx) };
    const result = await this.transactions.run(origin, async (tx) => {
      const found = await this.findLiveToken(tx.manager, hashRefreshToken(raw));
      if (!found) return null;
      const { refreshToken, session, user } = found;
      // Throwing here rolls back before anything is written.
      await this.rateLimits.chargeAccount('refreshToken', user.email);
      const actor = { actorId: user.id };

      if (refreshToken.rotatedAt) {
        const rotatedSecondsAgo = (Date.now() - refreshToken.rotatedAt.getTime()) / 1000;
        if (rotatedSecondsAgo > REUSE_GRACE_SECONDS) {
          await this.revokeSession(tx, session, 'reuse_detected');
          tx.record(
            'auth.token.reuse_detected',
            { userId: user.id, sessionId: session.id, rotatedSecondsAgo: Math.round(rotatedSecondsAgo) },
            actor,
          );
          return 'reuse' as const;
        }
        tx.record('auth.token.refreshed', { userId: user.id, sessionId: session.id, withinGraceWindow: true }, actor);
        return this.issuer.sameSuccessor(tx.manager, session, user, raw);
      }
      tx.record('auth.token.refreshed', { userId: user.id, sessionId: session.id, withinGraceWindow: false }, actor);
      return this.issuer.rotate(tx.manager, session, user, refreshToken, raw);
    });
    if (result === null || result === 'reuse') throw new UnauthenticatedError(BAD_REFRESH);
    this.noteUnverifiedAdmin(result.user);
    return result;
  }

  /** Ends the session the refresh token belongs to. False when there was nothing to end. */
  async logout(ctx: RequestContext, token: string): Promise<boolean> {
    const tokenHash = hashRefreshToken(rules.token('refreshToken', token));
    return this.transactions.run({ actorId: ctx.viewer?.userId ?? null, context: eventContextOf(ctx) }, async (tx) => {
      const found = await this.findLiveToken(tx.manager, tokenHash);
      // Someone else's token is treated as unknown: logging out is for one's own sessions.
      if (!found || (ctx.viewer && ctx.viewer.userId !== found.user.id)) return false;
      await this.revokeSession(tx, found.session, 'logout', found.user.id);
      tx.record('auth.logout', { userId: found.user.id, sessionId: found.session.id }, { actorId: found.user.id });
      return true;
    });
  }

  /** Ends every live session of the viewer (every device); returns how many were ended. */
  async logoutEverywhere(ctx: RequestContext): Promise<number> {
    const viewer = signedIn(ctx);
    return this.transactions.run({ actorId: viewer.userId, context: eventContextOf(ctx) }, async (tx) => {
      const sessions: { id: string }[] = await tx.manager.query(
        `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() FOR UPDATE`,
        [viewer.userId],
      );
      for (const session of sessions) tx.record('auth.logout', { userId: viewer.userId, sessionId: session.id });
      return endSessions(tx, viewer.userId, 'logout');
    });
  }

  /** The viewer an access token stands for, while its session is live; null otherwise. */
  async viewerFromAccessToken(token: string): Promise<Viewer | null> {
    const claims = this.accessTokens.verify(token);
    if (!claims) return null;
    const rows: { email: string; is_platform_admin: boolean; email_verified_at: Date | null }[] = await this.dataSource.query(
      `SELECT u.email, u.is_platform_admin, u.email_verified_at FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL`,
      [claims.sessionId, claims.userId],
    );
    if (rows.length === 0) return null;
    const [row] = rows;
    return {
      userId: claims.userId,
      sessionId: claims.sessionId,
      email: row.email,
      emailVerified: row.email_verified_at !== null,
      isPlatformAdmin: this.platformAdmins.isAdmin({
        email: row.email,
        emailVerifiedAt: row.email_verified_at,
        adminGranted: row.is_platform_admin,
      }),
      tokenExpiresAt: claims.expiresAt,
    };
  }

  async userById(id: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ id });
  }

  /** Says in the logs why a listed admin address is not an admin yet (the id, never the address). */
  private noteUnverifiedAdmin(user: User): void {
    if (this.platformAdmins.awaitsVerification(user)) {
      this.logger.warn(
        { userId: user.id },
        'this account has a PLATFORM_ADMIN_EMAILS address but has not verified it: it is not a platform admin until it does',
      );
    }
  }

  /** The token, its live session (row-locked: refreshes of one session run one at a time) and user. */
  private async findLiveToken(manager: EntityManager, tokenHash: string) {
    const unlocked = await manager.findOneBy(RefreshToken, { tokenHash });
    if (!unlocked) return null;
    const session = await manager
      .createQueryBuilder(Session, 's')
      .setLock('pessimistic_write')
      .where('s.id = :id', { id: unlocked.sessionId })
      .getOne();
    if (!session || session.revokedAt || session.expiresAt.getTime() <= Date.now()) return null;
    // Read again under the lock: a concurrent refresh may have rotated it meanwhile.
    const refreshToken = await manager.findOneByOrFail(RefreshToken, { id: unlocked.id });
    const user = await manager.findOneByOrFail(User, { id: session.userId });
    return { refreshToken, session, user };
  }

  private async revokeSession(
    tx: Tx,
    session: Session,
    reason: 'logout' | 'reuse_detected',
    actorId: string = session.userId,
  ): Promise<void> {
    await tx.manager.update(Session, { id: session.id }, { revokedAt: new Date(), revokedReason: reason });
    tx.record('auth.token.revoked', { userId: session.userId, sessionId: session.id, reason }, { actorId });
  }
}
