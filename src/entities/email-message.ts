import { Column, Entity, PrimaryColumn } from 'typeorm';

/** `cancelled`: not sent because its recipient's account was erased first. */
export type EmailStatus = 'pending' | 'sent' | 'failed' | 'cancelled';

/** The email log: every message Herald sends, its content and its fate. */
@Entity({ name: 'email_messages' })
export class EmailMessage {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** The event that asked for this email; with template and recipient it keeps requests idempotent. */
  @Column({ name: 'source_event_id', type: 'uuid' })
  sourceEventId: string;

  @Column({ type: 'varchar', length: 64 })
  template: string;

  @Column({ type: 'varchar', length: 254 })
  recipient: string;

  @Column({ type: 'varchar', length: 300 })
  subject: string;

  @Column({ name: 'text_body', type: 'text' })
  textBody: string;

  @Column({ name: 'html_body', type: 'text' })
  htmlBody: string;

  @Column({ type: 'varchar', length: 16 })
  status: EmailStatus;

  /**
   * The emailed link's token row, when the body has a link: the body stores a placeholder, and the
   * token, derived from this id, is put in at send time (src/auth/link-tokens.ts).
   */
  @Column({ name: 'link_token_id', type: 'uuid', nullable: true })
  linkTokenId: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'provider_message_id', type: 'varchar', length: 300, nullable: true })
  providerMessageId: string | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;
}
