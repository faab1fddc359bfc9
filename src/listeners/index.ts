import type { DataSource } from 'typeorm';
import type { TenantDatabase } from '../db/tenant-database';
import type { TenantMigrator } from '../db/tenant-migrator';
import type { AnyListener } from '../events/listener';
import type { Mailer } from '../mail/mailer';
import type { ThrottleRules } from '../services/login-throttle';
import type { TenantAuditLog } from '../services/tenant-audit-log';
import { completeTenantOnboarding } from './complete-tenant-onboarding';
import { configureTenantSettings } from './configure-tenant-settings';
import { countDailyMetrics } from './count-daily-metrics';
import { markTenantOnboardingFailed } from './mark-tenant-onboarding-failed';
import { notifyPlatformAdmins } from './notify-platform-admins';
import { provisionTenantSchema } from './provision-tenant-schema';
import { purgeTenant } from './purge-tenant';
import { recordAuditEntry } from './record-audit-entry';
import { sendAccountLockedEmail } from './send-account-locked-email';
import { sendEmail } from './send-email';
import { sendSetupGuide } from './send-setup-guide';
import { sendWelcomeEmail } from './send-welcome-email';
import { setupTenantAdmin } from './setup-tenant-admin';
import { trackFailedLogins } from './track-failed-logins';

export interface ListenerDeps {
  dataSource: DataSource;
  mailer: Mailer;
  tenantDatabase: TenantDatabase;
  tenantMigrator: TenantMigrator;
  tenantAuditLog: TenantAuditLog;
  platformAdminEmails: readonly string[];
  loginThrottle: ThrottleRules;
}

/** Every listener Herald runs. Add a new one here (see README, "Events and listeners"). */
export function createListeners(deps: ListenerDeps): AnyListener[] {
  return [
    sendWelcomeEmail(),
    sendEmail(deps),
    recordAuditEntry(deps),
    countDailyMetrics(),
    // Tenant onboarding, in workflow order (docs/TENANTS.md), and what reacts to a tenant's life.
    provisionTenantSchema(deps),
    setupTenantAdmin(deps),
    configureTenantSettings(deps),
    sendSetupGuide(),
    completeTenantOnboarding(),
    markTenantOnboardingFailed(),
    notifyPlatformAdmins(deps),
    purgeTenant(deps),
    // Security monitoring.
    trackFailedLogins({ dataSource: deps.dataSource, rules: deps.loginThrottle }),
    sendAccountLockedEmail(),
  ];
}

/**
 * Each built-in listener's name, the events it is on and how its delivery rows are written, for code that records events without
 * running listeners (the CLI) or documents them. Factories touch their dependencies only when a
 * handler runs, so none are needed here.
 */
export function listenerRoutes(): Pick<AnyListener, 'name' | 'on' | 'delayMs' | 'dependsOn'>[] {
  return createListeners({} as ListenerDeps).map(({ name, on, delayMs, dependsOn }) => ({ name, on, delayMs, dependsOn }));
}
