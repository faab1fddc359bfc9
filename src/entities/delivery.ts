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

  /** The event's tenant (null for platform-level events): claims take turns between tenants. */
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId: string | null;

  /** The outbound dependency the run needs (a circuit breaker's key, e.g. `smtp`), or null. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  dependency: string | null;

  /**
   * Set while the row is kept out of the claimable set: due much later (released shortly before
   * `dueAt`), or waiting for its dependency's breaker to close ('infinity').
   */
  @Column({ name: 'held_until', type: 'timestamptz', nullable: true })
  heldUntil: Date | null;

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
