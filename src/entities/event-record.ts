import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { EventContext } from '../events/envelope';

/** A row of the event store (which is also the outbox and the audit trail). See src/events/event-store.ts. */
@Entity({ name: 'events' })
export class EventRecord {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Drawn at insert, so not commit order; readers stay below the safe horizon (src/events/seq-horizon.ts). */
  @Column({ type: 'bigint', generatedIdentity: 'ALWAYS', generated: 'identity', unique: true })
  seq: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ type: 'jsonb' })
  payload: unknown;

  @Column({ type: 'jsonb' })
  context: EventContext;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  /** Null until the event went out on the pub/sub; the sweep republishes what stays null. */
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;
}
