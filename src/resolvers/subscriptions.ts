import { ForbiddenError } from '../errors/domain-errors';
import type { EventEnvelope } from '../events/envelope';
import type { Resolvers } from '../generated/graphql';
import { requireViewer, type GraphQLContext } from '../graphql/context';
import type { LiveItem } from '../subscriptions/live-subscription';

/** The connection of a WebSocket operation (subscriptions do not run over HTTP). */
function connectionOf(ctx: GraphQLContext) {
  if (!ctx.connection) throw new ForbiddenError('Subscriptions run over WebSocket: connect to ws://<host>/graphql.');
  return ctx.connection;
}

/** An event, or the end of access, which the client receives as a FORBIDDEN error before completion. */
function eventOf(item: LiveItem): EventEnvelope {
  if ('revoked' in item) throw new ForbiddenError(item.revoked);
  return item;
}

export const subscriptionResolvers: Resolvers = {
  Subscription: {
    tenantEvents: {
      subscribe: (_, args, ctx) => {
        requireViewer(ctx);
        return ctx.services.live.tenantEvents(ctx, args, connectionOf(ctx)) as never;
      },
      resolve: eventOf,
    },
    securityEvents: {
      subscribe: (_, args, ctx) => {
        requireViewer(ctx);
        return ctx.services.live.securityEvents(ctx, args, connectionOf(ctx)) as never;
      },
      resolve: eventOf,
    },
  },
};
