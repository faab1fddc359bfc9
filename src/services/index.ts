import type { AuthService } from './auth-service';
import type { DeliveryService } from './delivery-service';
import type { EventService } from './event-service';
import type { LiveEvents } from '../subscriptions/live-events';

/** The services resolvers call; built in src/server.ts. */
export interface Services {
  auth: AuthService;
  events: EventService;
  deliveries: DeliveryService;
  live: LiveEvents;
}
