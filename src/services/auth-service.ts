import type { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AccessTokens } from '../auth/access-tokens';
import type { PasswordHasher } from '../auth/password-hasher';
import { hashRefreshToken, newRefreshToken } from '../auth/refresh-tokens';
import { RefreshToken, Session, User } from '../entities';
import { ConflictError, RateLimitedError, UnauthenticatedError } from '../errors/domain-errors';
import type { Transactions, Tx } from '../events/transactions';
import type { AuthRateLimits } from './auth-rate-limits';
import { signedIn } from './access';
import * as rules from './input-rules';
import { readCounters } from './login-failure-counters';
import { counterKeys, decide, type ThrottleRules } from './login-throttle';
import { eventContextOf, type RequestContext, type Viewer } from './request-context';

/** A rotated refresh token used again within this window is tolerated (two tabs refreshing at once). */
export const REUSE_GRACE_SECONDS = 10;

const BAD_CREDENTIALS = 'Email or password is incorrect.';
const BAD_REFRESH = 'This refresh token is no longer valid; sign in again.';

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime, seconds. */
  expiresIn: number;
  user: User;
}

/** Registration, login, token refresh and logout. Every outcome records its events. */
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly passwords: PasswordHasher,
    private readonly accessTokens: AccessTokens,
    private readonly rateLimits: AuthRateLimits,
    private readonly settings: {
      refreshTokenTtl: number;
      platformAdminEmails: readonly string[];
      loginThrottle: ThrottleRules;
    },
  ) {}

  async register(ctx: RequestContext, input: { email: string; password: string; name: string }): Promise<AuthResult> {
    await this.rateLimits.chargeIp('register', ctx.ip);
    const email = rules.email('email', input.email);
    await this.rateLimits.chargeAccount('register', email);
    const password = rules.password('password', input.password);
    const name = rules.displayName('name', input.name);
    const passwordHash = await this.passwords.hash(password);

    try {
      return await this.transactions.run({ actorId: null, context: eventContextOf(ctx) }, async (tx) => {
        const user = tx.manager.create(User, {
          id: uuidv7(),
          email,
          name,
          passwordHash,
          isPlatformAdmin: this.settings.platformAdminEmails.includes(email),
        });
        await tx.manager.insert(User, user);
        tx.record('user.registered', { userId: user.id, email, name }, { actorId: user.id });
        return this.openSession(ctx, tx, user);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError('An account with this email exists already; sign in instead.', 'email');
      }
      throw error;
    }
  }

  /**
   * Signs in. While the failed-login counters throttle this account, IP or pair, the password is
   * not even checked: the answer is RATE_LIMITED and `auth.login.failed` says `locked`.
   */
  async login(ctx: RequestContext, input: { email: string; password: string }): Promise<AuthResult> {
    await this.rateLimits.chargeIp('login', ctx.ip);
    const email = rules.email('email', input.email);
    await this.rateLimits.chargeAccount('login', email);
    const user = await this.dataSource.getRepository(User).findOneBy({ email });
    const origin = { actorId: user?.id ?? null, context: eventContextOf(ctx) };

    const { counters, now } = await readCounters(this.dataSource, counterKeys(email, ctx.ip));
    const throttle = decide(counters, now, this.settings.loginThrottle);
    if (!throttle.allowed) {
      await this.transactions.run(origin, async (tx) => {
        tx.record('auth.login.attempt', { userId: user?.id ?? null, email });
        tx.record('auth.login.failed', { userId: user?.id ?? null, email, reason: 'locked' });
      });
      throw new RateLimitedError(throttle.retryAfterSeconds);
    }

    // An unknown email costs one scrypt verification too, so timing does not tell accounts apart.
    const valid = user
      ? await this.passwords.verify(input.password, user.passwordHash)
      : await this.passwords.verifyDecoy(input.password);

    const result = await this.transactions.run(origin, async (tx) => {
      tx.record('auth.login.attempt', { userId: user?.id ?? null, email });
      if (!user || !valid) {
        tx.record('auth.login.failed', {
          userId: user?.id ?? null,
          email,
          reason: user ? 'wrong_password' : 'unknown_email',
        });
        return null;
      }
      if (!user.isPlatformAdmin && this.settings.platformAdminEmails.includes(email)) {
        user.isPlatformAdmin = true;
        await tx.manager.update(User, { id: user.id }, { isPlatformAdmin: true });
      }
      return this.openSession(ctx, tx, user);
    });
    if (!result) throw new UnauthenticatedError(BAD_CREDENTIALS);
    return result;
  }

  /**
   * Exchanges a refresh token for a new pair, rotating it. A token rotated more than
   * REUSE_GRACE_SECONDS ago that comes back was stolen or leaked: the whole session is revoked.
   */
  async refresh(ctx: RequestContext, token: string): Promise<AuthResult> {
    await this.rateLimits.chargeIp('refreshToken', ctx.ip);
    const tokenHash = hashRefreshToken(rules.token('token', token));
    const origin = { actorId: null, context: eventContextOf(ctx) };
    const result = await this.transactions.run(origin, async (tx) => {
      const found = await this.findLiveToken(tx.manager, tokenHash);
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
      } else {
        await tx.manager.update(RefreshToken, { id: refreshToken.id }, { rotatedAt: new Date() });
      }
      tx.record(
        'auth.token.refreshed',
        { userId: user.id, sessionId: session.id, withinGraceWindow: refreshToken.rotatedAt !== null },
        actor,
      );
      return this.issueTokens(tx.manager, session, user);
    });
    if (result === null || result === 'reuse') throw new UnauthenticatedError(BAD_REFRESH);
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
      const sessions = await tx.manager
        .createQueryBuilder(Session, 's')
        .setLock('pessimistic_write')
        .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > now()', { userId: viewer.userId })
        .getMany();
      for (const session of sessions) {
        await this.revokeSession(tx, session, 'logout');
        tx.record('auth.logout', { userId: viewer.userId, sessionId: session.id });
      }
      return sessions.length;
    });
  }

  /** The viewer an access token stands for, while its session is live; null otherwise. */
  async viewerFromAccessToken(token: string): Promise<Viewer | null> {
    const claims = this.accessTokens.verify(token);
    if (!claims) return null;
    const rows: { email: string; is_platform_admin: boolean }[] = await this.dataSource.query(
      `SELECT u.email, u.is_platform_admin FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [claims.sessionId, claims.userId],
    );
    if (rows.length === 0) return null;
    return {
      userId: claims.userId,
      sessionId: claims.sessionId,
      email: rows[0].email,
      isPlatformAdmin: rows[0].is_platform_admin,
      tokenExpiresAt: claims.expiresAt,
    };
  }

  async userById(id: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ id });
  }

  private async openSession(ctx: RequestContext, tx: Tx, user: User): Promise<AuthResult> {
    const session = tx.manager.create(Session, {
      id: uuidv7(),
      userId: user.id,
      expiresAt: new Date(Date.now() + this.settings.refreshTokenTtl * 1000),
      revokedAt: null,
      revokedReason: null,
      ip: ctx.ip,
      userAgent: ctx.userAgent?.slice(0, 512) ?? null,
    });
    await tx.manager.insert(Session, session);
    const actor = { actorId: user.id };
    tx.record('user.login', { userId: user.id, sessionId: session.id }, actor);
    tx.record('auth.token.created', { userId: user.id, sessionId: session.id }, actor);
    return this.issueTokens(tx.manager, session, user);
  }

  private async issueTokens(manager: EntityManager, session: Session, user: User): Promise<AuthResult> {
    const refreshToken = newRefreshToken();
    await manager.insert(RefreshToken, {
      id: uuidv7(),
      sessionId: session.id,
      tokenHash: hashRefreshToken(refreshToken),
      rotatedAt: null,
    });
    return {
      accessToken: this.accessTokens.issue(user.id, session.id),
      refreshToken,
      expiresIn: this.accessTokens.ttlSeconds,
      user,
    };
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

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}
