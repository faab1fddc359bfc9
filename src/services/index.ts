import type { AuthService } from './auth-service';
import type { DeliveryService } from './delivery-service';
import type { EmailVerificationService } from './email-verification-service';
import type { AccountErasure } from './erasure/account-erasure';
import type { EventService } from './event-service';
import type { InvitationService } from './invitation-service';
import type { MembershipService } from './membership-service';
import type { PasswordService } from './password-service';
import type { PlatformAdmins } from './platform-admins';
import type { SessionService } from './session-service';
import type { SupportService } from './support-service';
import type { TenantService } from './tenant-service';
import type { WebhookService } from './webhook-service';
import type { LiveEvents } from '../live/live-events';
import type { RequestLoaders } from './request-loaders';

/** The services resolvers call; built in src/services/build-services.ts. */
export interface Services {
  auth: AuthService;
  passwords: PasswordService;
  verification: EmailVerificationService;
  sessions: SessionService;
  support: SupportService;
  erasure: AccountErasure;
  platformAdmins: PlatformAdmins;
  events: EventService;
  deliveries: DeliveryService;
  tenants: TenantService;
  memberships: MembershipService;
  invitations: InvitationService;
  webhooks: WebhookService;
  live: LiveEvents;
  /** A fresh set of per-request batching loaders (one per GraphQL operation's context). */
  loaders: () => RequestLoaders;
}
