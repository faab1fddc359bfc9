import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { LinkTokens, type LinkPurpose } from '../auth/link-tokens';
import { LinkToken } from '../entities';
import { BadUserInputError } from '../errors/domain-errors';
import { changedRows } from '../db/changed-rows';

const INVALID = 'This link is not valid: open the newest link you were sent, or ask for a new one.';
const EXPIRED = 'This link has expired: ask for a new one.';
const USED = 'This link was used already: each link works once. Ask for a new one if you need it.';

/**
 * The rows of emailed links: minted inside the unit of work that queues the email, consumed once.
 * Times come from the database's clock, like everything they are compared with.
 */
export class LinkTokenStore {
  constructor(readonly tokens: LinkTokens) {}

  /** A new link for `subjectId` (a user or an invitation), valid `ttlSeconds`; returns its row id. */
  async mint(
    manager: EntityManager,
    link: { purpose: LinkPurpose; subjectId: string; email: string; ttlSeconds: number },
  ): Promise<string> {
    const id = uuidv7();
    await manager.query(
      `INSERT INTO link_tokens (id, purpose, subject_id, email, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second')`,
      [id, link.purpose, link.subjectId, link.email, this.tokens.hashOf(id), link.ttlSeconds],
    );
    return id;
  }

  /**
   * Uses a link: the unused, unexpired row of one of `purposes` with this token, marked used in the
   * same statement, so two concurrent uses cannot both succeed. Otherwise BAD_USER_INPUT (field
   * `token`) saying whether it is unknown, expired or used.
   */
  async consume(manager: EntityManager, token: string, purposes: readonly LinkPurpose[]): Promise<LinkToken> {
    const hash = LinkTokens.hash(token);
    const [used] = await changedRows<LinkToken>(manager, 
      `UPDATE link_tokens SET used_at = now()
       WHERE token_hash = $1 AND purpose = ANY($2) AND used_at IS NULL AND expires_at > now()
       RETURNING id, purpose, subject_id AS "subjectId", email, created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt"`,
      [hash, purposes],
    );
    if (used) return used;
    const found = await this.find(manager, token, purposes);
    if (!found) throw new BadUserInputError('token', INVALID);
    throw new BadUserInputError('token', found.usedAt ? USED : EXPIRED);
  }

  /** The row of a token whatever its state (to explain a used invitation link), or null. */
  async find(manager: EntityManager, token: string, purposes: readonly LinkPurpose[]): Promise<LinkToken | null> {
    const found = await manager.findOneBy(LinkToken, { tokenHash: LinkTokens.hash(token) });
    return found && purposes.includes(found.purpose) ? found : null;
  }

  /** Ends every open link of `subjectId` for these purposes (a newer one replaces them, or they no longer apply). */
  async endOpen(manager: EntityManager, subjectId: string, purposes: readonly LinkPurpose[]): Promise<void> {
    await manager.query(
      `UPDATE link_tokens SET used_at = now() WHERE subject_id = $1 AND purpose = ANY($2) AND used_at IS NULL`,
      [subjectId, purposes],
    );
  }
}
