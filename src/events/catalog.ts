/**
 * The event catalog: every event name Herald records, mapped to its payload type.
 * Payloads are plain serialisable data (ids, names, timestamps): never an entity, a request, a
 * password, a hash or a token. Adding an event = adding a line here (and to EVENT_NAMES below).
 */
export interface EventCatalog {
  // user
  'user.registered': { userId: string; email: string; name: string };
  'user.login': { userId: string; sessionId: string };
  'user.profile.updated': { userId: string; fields: string[] };

  // auth: the security events. Each names the user it concerns in `userId` (null when the
  // email matched no account), which is how tenant dashboards find their members' events.
  'auth.login.attempt': { userId: string | null; email: string };
  'auth.login.failed': { userId: string | null; email: string; reason: LoginFailureReason };
  'auth.account.locked': { userId: string; failures: number; lockedUntil: string };
  'auth.token.created': { userId: string; sessionId: string };
  'auth.token.refreshed': { userId: string; sessionId: string; withinGraceWindow: boolean };
  'auth.token.revoked': { userId: string; sessionId: string; reason: TokenRevocationReason };
  'auth.token.reuse_detected': { userId: string; sessionId: string; rotatedSecondsAgo: number };
  'auth.logout': { userId: string; sessionId: string };

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
export type TokenRevocationReason = 'logout' | 'reuse_detected';
export type TenantRole = 'OWNER' | 'ADMIN' | 'MEMBER';

/** Every name, at run time. `satisfies` makes a missing or extra name a compile error. */
const NAMES = {
  'user.registered': true,
  'user.login': true,
  'user.profile.updated': true,
  'auth.login.attempt': true,
  'auth.login.failed': true,
  'auth.account.locked': true,
  'auth.token.created': true,
  'auth.token.refreshed': true,
  'auth.token.revoked': true,
  'auth.token.reuse_detected': true,
  'auth.logout': true,
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

/** Security events are the `auth.*` ones: only OWNER/ADMIN of a tenant see them. */
export function isSecurityEvent(name: string): boolean {
  return name.startsWith('auth.');
}
