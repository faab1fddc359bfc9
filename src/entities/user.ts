import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'users' })
export class User {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Normalised: NFKC, trimmed and lower-cased; unique. An erased account's is `erased:<id>`. */
  @Column({ type: 'varchar', length: 254, unique: true })
  email: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** scrypt hash in PHC-like form (see src/auth/password-hasher.ts); never leaves the service layer. */
  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  /**
   * Granted explicitly (`herald admin grant`). Whether the user IS a platform admin is derived:
   * this, or a PLATFORM_ADMIN_EMAILS address that is verified (src/services/platform-admins.ts).
   */
  @Column({ name: 'is_platform_admin', type: 'boolean', default: false })
  adminGranted: boolean;

  /** When the user proved they own `email` (a verification link, a password reset); null until then. */
  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt: Date | null;

  /** Set when the account was erased (`deleteAccount`); the row stays, without personal data, so ids still resolve. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
