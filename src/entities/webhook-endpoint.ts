import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Where a tenant's events go as signed webhooks (src/webhooks). Its secrets are stored encrypted
 * (src/webhooks/webhook-secrets.ts); the previous one signs too until `previousSecretExpiresAt`.
 */
@Entity({ name: 'webhook_endpoints' })
export class WebhookEndpoint {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  /** Event names sent; empty: every event of the tenant but the `auth.*` ones. */
  @Column({ name: 'event_types', type: 'varchar', length: 100, array: true })
  eventTypes: string[];

  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  @Column({ type: 'boolean' })
  enabled: boolean;

  /** Why it was disabled (by a person, a 410 answer, or 5 days without a success). */
  @Column({ name: 'disabled_reason', type: 'varchar', length: 500, nullable: true })
  disabledReason: string | null;

  @Column({ name: 'secret_encrypted', type: 'text' })
  secretEncrypted: string;

  @Column({ name: 'previous_secret_encrypted', type: 'text', nullable: true })
  previousSecretEncrypted: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null;

  /** The first failed attempt since the last success; the 5-day rule counts from it. */
  @Column({ name: 'first_failure_at', type: 'timestamptz', nullable: true })
  firstFailureAt: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
