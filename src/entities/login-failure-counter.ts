import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CounterScope } from '../services/login-throttle';

/**
 * Security monitoring: failed logins per account + IP pair, per IP and per account (see
 * src/services/login-throttle.ts). Written only by the `track-failed-logins` listener.
 */
@Entity({ name: 'login_failure_counters' })
export class LoginFailureCounter {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  scope: CounterScope;

  /** `email|ip`, `ip` or `email`, by scope (`counterKeys`). */
  @PrimaryColumn({ type: 'varchar', length: 320 })
  key: string;

  @Column({ type: 'integer' })
  failures: number;

  @Column({ name: 'last_failure_at', type: 'timestamptz', nullable: true })
  lastFailureAt: Date | null;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;
}
