import type { AuthService } from './auth-service';
import type { DeliveryService } from './delivery-service';
import type { EventService } from './event-service';
import type { MembershipService } from './membership-service';
import type { TenantService } from './tenant-service';
import type { LiveEvents } from '../live/live-events';

/** The services resolvers call; built in src/server.ts. */
export interface Services {
  auth: AuthService;
  events: EventService;
  deliveries: DeliveryService;
  tenants: TenantService;
  memberships: MembershipService;
  live: LiveEvents;
}
