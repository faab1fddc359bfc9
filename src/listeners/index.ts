import type { DataSource } from 'typeorm';
import type { AnyListener } from '../events/listener';
import type { Mailer } from '../mail/mailer';
import type { ThrottleRules } from '../services/login-throttle';
import { countDailyMetrics } from './count-daily-metrics';
import { recordAuditEntry } from './record-audit-entry';
import { sendAccountLockedEmail } from './send-account-locked-email';
import { sendEmail } from './send-email';
import { sendWelcomeEmail } from './send-welcome-email';
import { trackFailedLogins } from './track-failed-logins';

export interface ListenerDeps {
  dataSource: DataSource;
  mailer: Mailer;
  loginThrottle: ThrottleRules;
}

/** Every listener Herald runs. Add a new one here (see README, "Events and listeners"). */
export function createListeners(deps: ListenerDeps): AnyListener[] {
  return [
    sendWelcomeEmail(),
    sendEmail(deps),
    recordAuditEntry(),
    countDailyMetrics(),
    trackFailedLogins({ dataSource: deps.dataSource, rules: deps.loginThrottle }),
    sendAccountLockedEmail(),
  ];
}
