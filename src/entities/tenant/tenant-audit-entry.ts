import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A tenant's own audit log: who did what, when, from where. The table lives in each tenant's
 * schema; reach it only through TenantDatabase (src/db/tenant-database.ts).
 */
@Entity({ name: 'audit_log' })
export class TenantAuditEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  /** The event audited; unique, so a rerun of the listener cannot add a second entry. */
  @Column({ name: 'event_id', type: 'uuid', unique: true })
  eventId: string;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ type: 'varchar', length: 100 })
  action: string;

  @Column({ name: 'subject_id', type: 'uuid', nullable: true })
  subjectId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;
}
