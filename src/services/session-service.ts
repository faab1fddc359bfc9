import type { DataSource } from 'typeorm';
import { isUuid } from '../db/uuid';
import { Session } from '../entities';
import { NotFoundError } from '../errors/domain-errors';
import type { Transactions } from '../events/transactions';
import { signedIn } from './access';
import { eventContextOf, type RequestContext } from './request-context';
import { changedRows } from '../db/changed-rows';

/** A session as its owner sees it. */
export interface SessionView {
  id: string;
  current: boolean;
  createdAt: Date;
  lastUsedAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/** The signed-in user's sessions (devices): which are live, and ending one. */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
  ) {}

  /** Live sessions of the viewer, most recently used first; `current` is the one asking. */
  async list(ctx: RequestContext): Promise<SessionView[]> {
    const viewer = signedIn(ctx);
    const sessions = await this.dataSource
      .getRepository(Session)
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > now()', { userId: viewer.userId })
      .orderBy('s.last_used_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getMany();
    return sessions.map((s) => ({
      id: s.id,
      current: s.id === viewer.sessionId,
      createdAt: s.createdAt,
      lastUsedAt: s.lastUsedAt,
      ip: s.ip,
      userAgent: s.userAgent,
    }));
  }

  /**
   * Ends one of the viewer's sessions (this one too, if asked): its tokens stop working and its
   * sockets close on every instance. NOT_FOUND for a session that is not the viewer's or not live.
   */
  async revoke(ctx: RequestContext, sessionId: string): Promise<boolean> {
    const viewer = signedIn(ctx);
    return this.transactions.run({ actorId: viewer.userId, context: eventContextOf(ctx) }, async (tx) => {
      const ended: { id: string }[] = isUuid(sessionId)
        ? await changedRows(tx.manager, 
            `UPDATE sessions SET revoked_at = now(), revoked_reason = 'revoked'
             WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now() RETURNING id`,
            [sessionId, viewer.userId],
          )
        : [];
      if (ended.length === 0) throw new NotFoundError('You have no live session with this id.');
      tx.record('auth.session.revoked', { userId: viewer.userId, sessionId });
      return true;
    });
  }
}
