import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { LinkPurpose } from '../auth/link-tokens';

/**
 * An emailed link (verify, change email, reset, invitation): single use, with an expiry. Only the
 * token's SHA-256 is stored; the token itself is derived from the id (src/auth/link-tokens.ts).
 */
@Entity({ name: 'link_tokens' })
export class LinkToken {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  purpose: LinkPurpose;

  /** The user (verify, change email, reset) or the invitation it belongs to. */
  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId: string;

  /** The address the link was sent to: for `change_email`, the new one. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ name: 'token_hash', type: 'char', length: 64, unique: true })
  tokenHash: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** Set when the link was used, or when a newer link or a change of state ended it. */
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
