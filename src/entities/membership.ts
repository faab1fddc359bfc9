import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantRole } from '../events/catalog';

/** A user's role in a tenant. One identity, one role per tenant (DESIGN.md §3). */
@Entity({ name: 'memberships' })
export class Membership {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  role: TenantRole;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
