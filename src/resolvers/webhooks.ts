import type { Resolvers } from '../generated/graphql';

/** Thin: a tenant's webhook endpoints and their messages. */
export const webhookResolvers: Resolvers = {
  Query: {
    webhookEndpoints: (_, { tenantId }, ctx) => ctx.services.webhooks.list(ctx, tenantId),
    webhookAttempts: (_, { endpointId, first, after }, ctx) => ctx.services.webhooks.attempts(ctx, endpointId, { first, after }),
  },
  Mutation: {
    createWebhookEndpoint: (_, { tenantId, input }, ctx) => ctx.services.webhooks.create(ctx, tenantId, input),
    updateWebhookEndpoint: (_, { id, input }, ctx) => ctx.services.webhooks.update(ctx, id, input),
    deleteWebhookEndpoint: (_, { id }, ctx) => ctx.services.webhooks.delete(ctx, id),
    rotateWebhookSecret: (_, { id }, ctx) => ctx.services.webhooks.rotate(ctx, id),
    sendTestWebhook: (_, { id }, ctx) => ctx.services.webhooks.sendTest(ctx, id),
    retryWebhookMessage: (_, { endpointId, eventId }, ctx) => ctx.services.webhooks.retryMessage(ctx, endpointId, eventId),
    replayWebhookMessages: (_, { endpointId, since }, ctx) => ctx.services.webhooks.replay(ctx, endpointId, since),
  },
};
