import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One setting of a tenant (locale, time zone, its admin, features). The table lives in each
 * tenant's schema; reach it only through TenantDatabase (src/db/tenant-database.ts).
 */
@Entity({ name: 'settings' })
export class TenantSetting {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  key: string;

  @Column({ type: 'jsonb' })
  value: unknown;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
