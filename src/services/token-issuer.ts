import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AccessTokens } from '../auth/access-tokens';
import { hashRefreshToken, newRefreshToken, successorOf } from '../auth/refresh-tokens';
import { RefreshToken, Session, type User } from '../entities';
import type { Tx } from '../events/transactions';
import type { RequestContext } from './request-context';

/** What a sign-in, a refresh or a change of password answers. */
export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime, seconds. */
  expiresIn: number;
  user: User;
  /** From a sign-in: the token of the device it came from (DESIGN §6b "Devices"); null otherwise. */
  deviceToken: string | null;
}

/** Following a chain of successors stops here (two tabs, then a third, is as deep as it gets). */
const MAX_CHAIN = 8;

/** Opens sessions and issues their token pairs; the one place tokens are made. */
export class TokenIssuer {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly settings: { refreshTokenTtl: number; successorKey: Buffer },
  ) {}

  /** A new session of `user` from this request, with its first pair; records the sign-in. */
  async openSession(ctx: RequestContext, tx: Tx, user: User): Promise<AuthResult> {
    const now = new Date();
    const session = tx.manager.create(Session, {
      id: uuidv7(),
      userId: user.id,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.settings.refreshTokenTtl * 1000),
      revokedAt: null,
      revokedReason: null,
      ip: ctx.ip,
      userAgent: ctx.userAgent?.slice(0, 512) ?? null,
    });
    await tx.manager.insert(Session, session);
    const actor = { actorId: user.id };
    tx.record('user.login', { userId: user.id, sessionId: session.id }, actor);
    tx.record('auth.token.created', { userId: user.id, sessionId: session.id }, actor);
    const refreshToken = newRefreshToken();
    await this.store(tx.manager, session.id, refreshToken);
    return this.pair(session, user, refreshToken);
  }

  /**
   * Rotates `token` (its row locked by the caller, not yet rotated): its successor becomes the
   * session's refresh token, and the session was used now.
   */
  async rotate(manager: EntityManager, session: Session, user: User, token: RefreshToken, raw: string): Promise<AuthResult> {
    await manager.update(RefreshToken, { id: token.id }, { rotatedAt: new Date() });
    await manager.update(Session, { id: session.id }, { lastUsedAt: new Date() });
    const successor = successorOf(raw, this.settings.successorKey);
    await this.store(manager, session.id, successor);
    return this.pair(session, user, successor);
  }

  /**
   * For a token rotated moments ago and presented again (two tabs refreshing at once): the same
   * successor the first caller got, or, if that was rotated too, the newest token of its chain.
   */
  async sameSuccessor(manager: EntityManager, session: Session, user: User, raw: string): Promise<AuthResult> {
    let current = successorOf(raw, this.settings.successorKey);
    for (let depth = 1; depth < MAX_CHAIN; depth++) {
      const row = await manager.findOneBy(RefreshToken, { tokenHash: hashRefreshToken(current) });
      if (!row?.rotatedAt) break;
      current = successorOf(current, this.settings.successorKey);
    }
    return this.pair(session, user, current);
  }

  /**
   * A new pair for a session that goes on (after `changePassword`): its open refresh tokens are
   * rotated (a tab still holding one gets this pair within the grace window) and a new one issued.
   */
  async reissue(manager: EntityManager, session: Session, user: User): Promise<AuthResult> {
    await manager.query(`UPDATE refresh_tokens SET rotated_at = now() WHERE session_id = $1 AND rotated_at IS NULL`, [session.id]);
    const refreshToken = newRefreshToken();
    await this.store(manager, session.id, refreshToken);
    return this.pair(session, user, refreshToken);
  }

  private async store(manager: EntityManager, sessionId: string, token: string): Promise<void> {
    await manager.query(
      `INSERT INTO refresh_tokens (id, session_id, token_hash) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING`,
      [uuidv7(), sessionId, hashRefreshToken(token)],
    );
  }

  private pair(session: Session, user: User, refreshToken: string): AuthResult {
    return {
      accessToken: this.accessTokens.issue(user.id, session.id),
      refreshToken,
      expiresIn: this.accessTokens.ttlSeconds,
      user,
      deviceToken: null,
    };
  }
}
