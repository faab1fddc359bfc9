import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type DeliveryStatus = 'pending' | 'running' | 'done' | 'dead';

/** One (event, listener) pair to run. See src/events/listener-runtime.ts for the life of a row. */
@Entity({ name: 'deliveries' })
export class Delivery {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ type: 'varchar', length: 100 })
  listener: string;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  /** Runs started so far (a claim counts as one). */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** When a pending row may run, or when a running row's lease expires. */
  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt: Date;

  @Column({ name: 'locked_by', type: 'varchar', length: 64, nullable: true })
  lockedBy: string | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;
}
