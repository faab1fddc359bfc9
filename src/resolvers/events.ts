import type { Resolvers } from '../generated/graphql';

/** Statuses are lower-case in the database and upper-case in the schema. */
const toSchemaStatus = (status: string) => status.toUpperCase() as 'PENDING' | 'RUNNING' | 'DONE' | 'DEAD';

export const eventResolvers: Resolvers = {
  Query: {
    events: (_, args, ctx) => ctx.services.events.list(ctx, args),
    eventStats: (_, __, ctx) => ctx.services.events.stats(ctx),
    eventActivity: (_, { tenantId }, ctx) => ctx.services.events.activity(ctx, tenantId),
    deliveries: (_, { status, ...args }, ctx) =>
      ctx.services.deliveries.list(ctx, { ...args, status: status ? (status.toLowerCase() as never) : null }),
  },
  Mutation: {
    retryDelivery: (_, { id }, ctx) => ctx.services.deliveries.retry(ctx, id),
    retryDeadDeliveries: (_, { listener }, ctx) => ctx.services.deliveries.retryDead(ctx, listener),
  },
  Delivery: {
    status: (delivery) => toSchemaStatus(delivery.status),
  },
};
