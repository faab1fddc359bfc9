import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Analytics: a count per metric per UTC day (registrations, logins, login failures). */
@Entity({ name: 'daily_counters' })
export class DailyCounter {
  @PrimaryColumn({ type: 'date' })
  day: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  metric: string;

  @Column({ type: 'integer' })
  count: number;
}
