import { AuditEntry } from './audit-entry';
import { DailyCounter } from './daily-counter';
import { Delivery } from './delivery';
import { EmailMessage } from './email-message';
import { EventRecord } from './event-record';
import { Invitation } from './invitation';
import { LinkToken } from './link-token';
import { Membership } from './membership';
import { LoginFailureCounter } from './login-failure-counter';
import { RefreshToken } from './refresh-token';
import { Session } from './session';
import { Tenant } from './tenant';
import { TenantAuditEntry } from './tenant/tenant-audit-entry';
import { TenantSetting } from './tenant/tenant-setting';
import { User } from './user';
import { WebhookEndpoint } from './webhook-endpoint';

export {
  AuditEntry,
  DailyCounter,
  Delivery,
  EmailMessage,
  EventRecord,
  Invitation,
  LinkToken,
  LoginFailureCounter,
  Membership,
  RefreshToken,
  Session,
  Tenant,
  User,
  WebhookEndpoint,
};
export { TenantAuditEntry, TenantSetting };

/**
 * Every entity, for the DataSource. The tenant-scoped ones name unqualified tables that exist only
 * in tenant schemas: they resolve through TenantDatabase's search_path, and fail anywhere else.
 */
export const ENTITIES = [
  User,
  Session,
  RefreshToken,
  EventRecord,
  Delivery,
  EmailMessage,
  AuditEntry,
  DailyCounter,
  LoginFailureCounter,
  Tenant,
  Membership,
  LinkToken,
  Invitation,
  TenantAuditEntry,
  TenantSetting,
  WebhookEndpoint,
];
