import { Column, Entity, PrimaryColumn } from 'typeorm';

export type TenantStatus = 'PROVISIONING' | 'ACTIVE' | 'FAILED' | 'DELETING' | 'DELETED';

/** The onboarding steps, in order; `COMPLETE` is the last (it sets the tenant ACTIVE). */
export const ONBOARDING_STEPS = [
  'PROVISION_SCHEMA',
  'SETUP_ADMIN_USER',
  'CONFIGURE_SETTINGS',
  'SEND_SETUP_GUIDE',
  'COMPLETE',
] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

/**
 * A tenant (landlord table). Its data lives in its own schema (see src/db/tenant-database.ts).
 * Once purged only a tombstone remains: id, slug, status DELETED and the timestamps.
 */
@Entity({ name: 'tenants' })
export class Tenant {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Unique among tenants not deleted (a partial index), so a deleted tenant's slug can be reused. */
  @Column({ type: 'varchar', length: 40 })
  slug: string;

  /** Null on a tombstone. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: TenantStatus;

  /** The user who created it (its first OWNER); null on a tombstone. */
  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  /** The step running now, the one that failed, or COMPLETE. */
  @Column({ name: 'onboarding_step', type: 'varchar', length: 32, nullable: true })
  onboardingStep: OnboardingStep | null;

  /** Why the onboarding failed (a listener's last error); for platform admins. */
  @Column({ name: 'onboarding_error', type: 'text', nullable: true })
  onboardingError: string | null;

  @Column({ name: 'onboarding_completed_at', type: 'timestamptz', nullable: true })
  onboardingCompletedAt: Date | null;

  /**
   * The newest tenant migration applied to its schema (0 before provisioning). A cache of the
   * schema's own `tenant_migrations` table, so start-up finds the tenants to migrate in one query.
   */
  @Column({ name: 'schema_version', type: 'bigint', default: 0 })
  schemaVersion: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** Set by deleteTenant: from then on the tenant is gone for its members and its slug is free. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
