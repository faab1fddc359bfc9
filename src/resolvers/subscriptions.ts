import { ForbiddenError } from '../errors/domain-errors';
import type { EventEnvelope } from '../events/envelope';
import type { Resolvers } from '../generated/graphql';

/**
 * Thin: each hands the request context and its arguments to the live service, which authorises
 * and answers a subscription not yet started; the transport (WebSocket or SSE) starts it with its
 * sink (src/live/live-operation.ts), and each event it renders is the root value here.
 */
export const subscriptionResolvers: Resolvers = {
  Subscription: {
    tenantEvents: {
      subscribe: (_, args, ctx) => ctx.services.live.tenantEvents(ctx, args) as never,
      resolve: eventOf,
    },
    securityEvents: {
      subscribe: (_, args, ctx) => ctx.services.live.securityEvents(ctx, args) as never,
      resolve: eventOf,
    },
  },
};

/** The event being rendered. Over POST /graphql Apollo executes a subscription with no event: say where it runs. */
function eventOf(event: EventEnvelope | undefined): EventEnvelope {
  if (!event) throw new ForbiddenError('Subscriptions run over WebSocket (ws://<host>/graphql) or Server-Sent Events (POST /graphql/stream).');
  return event;
}
