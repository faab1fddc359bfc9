import type { DataSource } from 'typeorm';
import type { LinkTokens } from '../auth/link-tokens';
import type { AccountsConfig } from '../config';
import type { TenantDatabase } from '../db/tenant-database';
import type { TenantMigrator } from '../db/tenant-migrator';
import type { AnyListener } from '../events/listener';
import type { EmailLinks } from '../mail/email-links';
import type { Mailer } from '../mail/mailer';
import { LinkTokenStore } from '../services/link-token-store';
import type { ThrottleRules } from '../services/login-throttle';
import type { TenantAuditLog } from '../services/tenant-audit-log';
import { completeTenantOnboarding } from './complete-tenant-onboarding';
import { configureTenantSettings } from './configure-tenant-settings';
import { countDailyMetrics } from './count-daily-metrics';
import { expireInvitation } from './expire-invitation';
import { markTenantOnboardingFailed } from './mark-tenant-onboarding-failed';
import { notifyPlatformAdmins } from './notify-platform-admins';
import { provisionTenantSchema } from './provision-tenant-schema';
import { purgeTenant } from './purge-tenant';
import { recordAuditEntry } from './record-audit-entry';
import { sendAccountLockedEmail } from './send-account-locked-email';
import { sendEmail } from './send-email';
import { sendNewDeviceEmail } from './send-new-device-email';
import { sendPasswordChangedNotice } from './send-password-changed-notice';
import { sendPasswordResetEmail } from './send-password-reset-email';
import { sendVerificationReminder } from './send-verification-reminder';
import { sendSetupGuide } from './send-setup-guide';
import { sendWelcomeEmail } from './send-welcome-email';
import { setupTenantAdmin } from './setup-tenant-admin';
import { trackFailedLogins } from './track-failed-logins';
import { deliverWebhook } from './deliver-webhook';
import { notifyWebhookDisabled } from './notify-webhook-disabled';
import type { WebhookDelivery } from '../webhooks/webhook-delivery';

export interface ListenerDeps {
  dataSource: DataSource;
  mailer: Mailer;
  tenantDatabase: TenantDatabase;
  tenantMigrator: TenantMigrator;
  tenantAuditLog: TenantAuditLog;
  platformAdminEmails: readonly string[];
  loginThrottle: ThrottleRules;
  accounts: AccountsConfig;
  /** Where emailed links point (PUBLIC_URL). */
  links: EmailLinks;
  linkTokens: LinkTokens;
  /** Signed webhooks: one attempt of a message, and one request's time limit (WEBHOOK_TIMEOUT). */
  webhooks: WebhookDelivery;
  webhookTimeoutMs: number;
}

/** Every listener Herald runs. Add a new one here (see README, "Events and listeners"). */
export function createListeners(deps: ListenerDeps): AnyListener[] {
  const account = { accounts: deps.accounts, links: deps.links, linkTokens: new LinkTokenStore(deps.linkTokens) };
  return [
    // Accounts: the welcome email carries the verification link; reminders, resets, notices.
    sendWelcomeEmail(account),
    sendVerificationReminder(account),
    sendPasswordResetEmail(account),
    sendPasswordChangedNotice(account),
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
    expireInvitation(deps),
    // Security monitoring.
    trackFailedLogins({ dataSource: deps.dataSource, rules: deps.loginThrottle }),
    sendAccountLockedEmail(),
    sendNewDeviceEmail(account),
    // Signed webhooks to tenants' own systems.
    deliverWebhook({ webhooks: deps.webhooks, timeoutMs: deps.webhookTimeoutMs }),
    notifyWebhookDisabled(deps),
  ];
}

/**
 * Each built-in listener's name, the events it is on and how its delivery rows are written (delay,
 * dependency), for code that records events without running listeners (the CLI) or documents them.
 * Factories touch their dependencies only when a handler runs (but for the lifetimes that set
 * delays), so no others are needed here.
 */
export function listenerRoutes(accounts: AccountsConfig): Pick<AnyListener, 'name' | 'on' | 'delayMs' | 'dependsOn'>[] {
  return createListeners({ accounts } as ListenerDeps).map(({ name, on, delayMs, dependsOn }) => ({ name, on, delayMs, dependsOn }));
}
