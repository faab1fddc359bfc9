import type { DataSource } from 'typeorm';
import type { AnyListener } from '../events/listener';
import type { Mailer } from '../mail/mailer';
import { countDailyMetrics } from './count-daily-metrics';
import { recordAuditEntry } from './record-audit-entry';
import { sendEmail } from './send-email';
import { sendWelcomeEmail } from './send-welcome-email';

export interface ListenerDeps {
  dataSource: DataSource;
  mailer: Mailer;
}

/** Every listener Herald runs. Add a new one here (see README, "Events and listeners"). */
export function createListeners(deps: ListenerDeps): AnyListener[] {
  return [sendWelcomeEmail(), sendEmail(deps), recordAuditEntry(), countDailyMetrics()];
}
