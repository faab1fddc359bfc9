import { BadUserInputError } from '../errors/domain-errors';

/**
 * The event catalog: every event name Herald records, mapped to its payload type.
 * Payloads are plain serialisable data (ids, names, timestamps): never an entity, a request, a
 * password, a hash or a token. Adding an event = adding a line here (and to NAMES below).
 */
export interface EventCatalog {
  // user
  'user.registered': { userId: string; email: string; name: string };
  'user.login': { userId: string; sessionId: string };
  'user.profile.updated': { userId: string; fields: string[] };
  /** The user proved they own `email` (a verification link or a password reset). */
  'user.email.verified': { userId: string; email: string };
  /** A new verification link was asked for (by the user, or for them by a platform admin). */
  'user.email.verification_requested': { userId: string };
  /** `changeEmail` was asked for: a link went to the new address, a notice to the old one. */
  'user.email.change_requested': { userId: string };
  /** The link sent to the new address was used: it is the account's (verified) email now. */
  'user.email.changed': { userId: string; from: string; to: string };
  /** The account was erased (`deleteAccount`): its personal data is gone from the database, its id stays. */
  'user.deleted': { userId: string };

  // auth: the security events. Each names the user it concerns in `userId` (null when the
  // email matched no account), which is how tenant dashboards find their members' events.
  'auth.login.attempt': { userId: string | null; email: string };
  'auth.login.failed': { userId: string | null; email: string; reason: LoginFailureReason };
  'auth.account.locked': { userId: string; failures: number; lockedUntil: string };
  /** A sign-in without a device token of this account: a device never seen before (DESIGN §6b). */
  'auth.device.new': { userId: string; deviceId: string };
  'auth.token.created': { userId: string; sessionId: string };
  'auth.token.refreshed': { userId: string; sessionId: string; withinGraceWindow: boolean };
  'auth.token.revoked': { userId: string; sessionId: string; reason: TokenRevocationReason };
  'auth.token.reuse_detected': { userId: string; sessionId: string; rotatedSecondsAgo: number };
  'auth.logout': { userId: string; sessionId: string };
  /** Someone asked for a reset link for `email`; `userId` null when no account has it (nothing is sent then). */
  'auth.password.reset_requested': { userId: string | null; email: string };
  /** A reset link set a new password; every session of the user ended. */
  'auth.password.reset': { userId: string; sessionsEnded: number };
  /** The user changed their password (knowing the current one); their other sessions ended. */
  'auth.password.changed': { userId: string; sessionsEnded: number };
  /** One session was ended by `revokeSession` (its owner) or a platform admin's support tool. */
  'auth.session.revoked': { userId: string; sessionId: string };
  /** A platform admin lifted a lock that failed logins had put on the account. */
  'auth.account.unlocked': { userId: string };

  // tenant
  'tenant.created': { tenantId: string; slug: string; name: string; ownerId: string };
  'tenant.updated': { tenantId: string; fields: string[]; slug: string; name: string };
  'tenant.deleted': { tenantId: string; slug: string };
  'tenant.database.created': { tenantId: string; schema: string };
  'tenant.database.dropped': { tenantId: string; schema: string };
  'tenant.onboarding.setup_admin_user': { tenantId: string; userId: string };
  'tenant.onboarding.configure_settings': { tenantId: string; settings: string[] };
  /** `emailId` is null when the guide had been queued already (a rerun after a crash). */
  'tenant.onboarding.send_setup_guide': { tenantId: string; emailId: string | null };
  'tenant.onboarding.completed': { tenantId: string };
  /** A step's delivery went dead; the reason is in the step's `system.listener.failed` (platform-level). */
  'tenant.onboarding.failed': { tenantId: string; step: string; listener: string; attempts: number };
  /** A platform admin put the dead steps back in line. */
  'tenant.onboarding.retried': { tenantId: string; steps: string[] };
  'tenant.member.added': { tenantId: string; userId: string; role: TenantRole };
  'tenant.member.removed': { tenantId: string; userId: string };
  'tenant.member.role_changed': { tenantId: string; userId: string; from: TenantRole; to: TenantRole };
  /** The member left by themselves (`leaveTenant`, or erasing their account). */
  'tenant.member.left': { tenantId: string; userId: string };
  'tenant.invitation.created': { tenantId: string; invitationId: string; email: string; role: TenantRole; expiresAt: string };
  /** A new link went out; the old one no longer works, and the invitation is open until `expiresAt`. */
  'tenant.invitation.resent': { tenantId: string; invitationId: string; email: string; expiresAt: string };
  'tenant.invitation.accepted': { tenantId: string; invitationId: string; userId: string; role: TenantRole };
  'tenant.invitation.declined': { tenantId: string; invitationId: string };
  'tenant.invitation.revoked': { tenantId: string; invitationId: string };
  'tenant.invitation.expired': { tenantId: string; invitationId: string };

  // webhook: a tenant's endpoints. Payloads name the endpoint's host, never its URL (a URL can be a
  // credential, e.g. a chat service's incoming webhook) nor its secret.
  'webhook.endpoint.created': { tenantId: string; endpointId: string; host: string; eventTypes: string[] };
  'webhook.endpoint.updated': { tenantId: string; endpointId: string; fields: string[]; host: string };
  'webhook.endpoint.deleted': { tenantId: string; endpointId: string };
  /**
   * The endpoint stopped receiving: `manual` (updateWebhookEndpoint), `gone` (it answered 410) or
   * `failing` (no success for 5 days; its owners are emailed). `cancelled`: its messages still due,
   * now dead (replayWebhookMessages sends them again).
   */
  'webhook.endpoint.disabled': { tenantId: string; endpointId: string; reason: WebhookDisabledReason; cancelled: number };
  'webhook.endpoint.enabled': { tenantId: string; endpointId: string };
  /** A new secret; the previous one still signs until `previousValidUntil` (24 h). */
  'webhook.secret.rotated': { tenantId: string; endpointId: string; previousValidUntil: string };
  /** A message's retries are exhausted (the endpoint answered, but never with a 2xx, for this event). */
  'webhook.message.failed': {
    tenantId: string;
    endpointId: string;
    eventId: string;
    eventName: string;
    attempts: number;
    error: string;
  };
  /** sendTestWebhook: goes to that endpoint only, whatever its event types. */
  'webhook.test': { tenantId: string; endpointId: string };

  // notification
  'notification.email.send': { emailId: string; template: string; to: string };
  'notification.email.sent': { emailId: string; template: string; to: string; messageId: string; attempts: number };
  'notification.email.failed': { emailId: string; template: string; to: string; attempt: number; error: string };

  // audit
  'audit.action.performed': { action: string; sourceEventId: string; subjectId: string | null };

  // system
  'system.server.started': { instanceId: string; database: 'postgres' | 'embedded'; pubsub: 'redis' | 'in-process' };
  'system.server.stopping': { instanceId: string; signal: string };
  'system.database.connected': { instanceId: string; database: 'postgres' | 'embedded' };
  'system.listener.failed': {
    deliveryId: string;
    listener: string;
    eventId: string;
    eventName: string;
    attempts: number;
    error: string;
  };
  /**
   * `failures` consecutive runs that needed `dependency` failed: its runs wait (no attempt spent)
   * until a probe after `retryAt` succeeds. `error` is the last failure's message.
   */
  'system.circuit.opened': { dependency: string; failures: number; error: string; retryAt: string };
  /** A run that needed `dependency` succeeded after its breaker had been open `openSeconds`: the waiting runs go ahead. */
  'system.circuit.closed': { dependency: string; openSeconds: number };
}

export type EventName = keyof EventCatalog;
export type EventPayload<N extends EventName> = EventCatalog[N];

export type LoginFailureReason = 'unknown_email' | 'wrong_password' | 'locked';
/** Why a session's tokens stopped working (`auth.token.revoked`). */
export type TokenRevocationReason =
  | 'logout'
  | 'reuse_detected'
  | 'password_changed'
  | 'password_reset'
  | 'account_deleted'
  | 'support';
export type TenantRole = 'OWNER' | 'ADMIN' | 'MEMBER';
export type WebhookDisabledReason = 'manual' | 'gone' | 'failing';

/** Every name, at run time. `satisfies` makes a missing or extra name a compile error. */
const NAMES = {
  'user.registered': true,
  'user.login': true,
  'user.profile.updated': true,
  'user.email.verified': true,
  'user.email.verification_requested': true,
  'user.email.change_requested': true,
  'user.email.changed': true,
  'user.deleted': true,
  'auth.login.attempt': true,
  'auth.login.failed': true,
  'auth.account.locked': true,
  'auth.device.new': true,
  'auth.token.created': true,
  'auth.token.refreshed': true,
  'auth.token.revoked': true,
  'auth.token.reuse_detected': true,
  'auth.logout': true,
  'auth.password.reset_requested': true,
  'auth.password.reset': true,
  'auth.password.changed': true,
  'auth.session.revoked': true,
  'auth.account.unlocked': true,
  'tenant.created': true,
  'tenant.updated': true,
  'tenant.deleted': true,
  'tenant.database.created': true,
  'tenant.database.dropped': true,
  'tenant.onboarding.setup_admin_user': true,
  'tenant.onboarding.configure_settings': true,
  'tenant.onboarding.send_setup_guide': true,
  'tenant.onboarding.completed': true,
  'tenant.onboarding.failed': true,
  'tenant.onboarding.retried': true,
  'tenant.member.added': true,
  'tenant.member.removed': true,
  'tenant.member.role_changed': true,
  'tenant.member.left': true,
  'tenant.invitation.created': true,
  'tenant.invitation.resent': true,
  'tenant.invitation.accepted': true,
  'tenant.invitation.declined': true,
  'tenant.invitation.revoked': true,
  'tenant.invitation.expired': true,
  'webhook.endpoint.created': true,
  'webhook.endpoint.updated': true,
  'webhook.endpoint.deleted': true,
  'webhook.endpoint.disabled': true,
  'webhook.endpoint.enabled': true,
  'webhook.secret.rotated': true,
  'webhook.message.failed': true,
  'webhook.test': true,
  'notification.email.send': true,
  'notification.email.sent': true,
  'notification.email.failed': true,
  'audit.action.performed': true,
  'system.server.started': true,
  'system.server.stopping': true,
  'system.database.connected': true,
  'system.listener.failed': true,
  'system.circuit.opened': true,
  'system.circuit.closed': true,
} satisfies Record<EventName, true>;

export const EVENT_NAMES = Object.keys(NAMES) as EventName[];

export function isEventName(value: string): value is EventName {
  return Object.prototype.hasOwnProperty.call(NAMES, value);
}

/**
 * A `names` argument (events query, tenantEvents), checked: null when absent, else the names,
 * each of the catalog (BAD_USER_INPUT naming the first that is not).
 */
export function eventNamesArgument(names: readonly string[] | null | undefined): EventName[] | null {
  if (!names) return null;
  for (const name of names) {
    if (!isEventName(name)) throw new BadUserInputError('names', `"${name.slice(0, 100)}" is not an event name.`);
  }
  return names as EventName[];
}

/** Security events are the `auth.*` ones: only OWNER/ADMIN of a tenant see them. */
export function isSecurityEvent(name: string): boolean {
  return name.startsWith(SECURITY_EVENT_PREFIX);
}

const SECURITY_EVENT_PREFIX = 'auth.';

/** The same rule in SQL: `column` (an event name column) is a security event's. */
export function isSecurityEventSql(column: string): string {
  return `${column} LIKE '${SECURITY_EVENT_PREFIX}%'`;
}

/** Whether a tenant role sees the tenant's security events (a platform admin counts as OWNER). */
export function roleSeesSecurityEvents(role: TenantRole): boolean {
  return role !== 'MEMBER';
}
