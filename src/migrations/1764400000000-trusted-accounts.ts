import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trusted accounts: verified email, erased accounts, when a session was last used, the tokens of
 * emailed links (verify, reset, invitation; only their hashes), invitations, and cancelled emails.
 *
 * Platform admin status is now derived (a listed email that is verified, or an explicit grant):
 * the flags that sign-in used to store for listed emails are reset, and only the grants
 * `herald admin grant` recorded (`user.profile.updated` with the field isPlatformAdmin) stay.
 */
export class TrustedAccounts1764400000000 implements MigrationInterface {
  name = 'TrustedAccounts1764400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    await db.query(`ALTER TABLE users ADD COLUMN deleted_at timestamptz`);
    await db.query(`
      UPDATE users u SET is_platform_admin = false
      WHERE u.is_platform_admin AND NOT EXISTS (
        SELECT 1 FROM events e
        WHERE e.name = 'user.profile.updated' AND e.payload->>'userId' = u.id::text
          AND e.payload->'fields' ? 'isPlatformAdmin')`);

    await db.query(`ALTER TABLE sessions ADD COLUMN last_used_at timestamptz`);
    await db.query(`UPDATE sessions SET last_used_at = created_at`);
    await db.query(`ALTER TABLE sessions ALTER COLUMN last_used_at SET NOT NULL, ALTER COLUMN last_used_at SET DEFAULT now()`);

    await db.query(`
      CREATE TABLE link_tokens (
        id uuid PRIMARY KEY,
        purpose varchar(32) NOT NULL
          CHECK (purpose IN ('verify_email', 'change_email', 'reset_password', 'invitation')),
        subject_id uuid NOT NULL,
        email varchar(254) NOT NULL,
        token_hash char(64) NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    // "The open links of this user (or invitation) for this purpose": resend, reset and erasure end them.
    await db.query(`CREATE INDEX link_tokens_subject ON link_tokens (subject_id, purpose)`);

    await db.query(`
      CREATE TABLE invitations (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        email varchar(254) NOT NULL,
        role varchar(16) NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
        status varchar(16) NOT NULL CHECK (status IN ('PENDING', 'ACCEPTED', 'DECLINED', 'REVOKED', 'EXPIRED')),
        invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
        accepted_by uuid REFERENCES users(id) ON DELETE SET NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        responded_at timestamptz
      )`);
    // One open invitation per address and tenant; two concurrent invites: the second fails unique.
    await db.query(`CREATE UNIQUE INDEX invitations_pending ON invitations (tenant_id, email) WHERE status = 'PENDING'`);
    await db.query(`CREATE INDEX invitations_email_pending ON invitations (email) WHERE status = 'PENDING'`);
    await db.query(`CREATE INDEX invitations_tenant ON invitations (tenant_id, created_at)`);

    await db.query(`ALTER TABLE email_messages ADD COLUMN link_token_id uuid`);
    await db.query(`ALTER TABLE email_messages DROP CONSTRAINT email_messages_status_check`);
    await db.query(
      `ALTER TABLE email_messages ADD CONSTRAINT email_messages_status_check
         CHECK (status IN ('pending', 'sent', 'failed', 'cancelled'))`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM email_messages WHERE status = 'cancelled'`);
    await db.query(`ALTER TABLE email_messages DROP CONSTRAINT email_messages_status_check`);
    await db.query(`ALTER TABLE email_messages ADD CONSTRAINT email_messages_status_check CHECK (status IN ('pending', 'sent', 'failed'))`);
    await db.query(`ALTER TABLE email_messages DROP COLUMN link_token_id`);
    await db.query(`DROP TABLE invitations`);
    await db.query(`DROP TABLE link_tokens`);
    await db.query(`ALTER TABLE sessions DROP COLUMN last_used_at`);
    await db.query(`ALTER TABLE users DROP COLUMN deleted_at`);
    await db.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
