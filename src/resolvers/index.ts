import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { Resolvers } from '../generated/graphql';
import type { GraphQLContext } from '../graphql/context';
import { accountResolvers } from './accounts';
import { eventResolvers } from './events';
import { identityResolvers } from './identity';
import { invitationResolvers } from './invitations';
import { subscriptionResolvers } from './subscriptions';
import { systemResolvers } from './system';
import { tenantResolvers } from './tenants';
import { webhookResolvers } from './webhooks';

/** Every resolver map, merged by root type. */
export function createResolvers(): Resolvers {
  const parts: Resolvers[] = [identityResolvers, accountResolvers, invitationResolvers, eventResolvers, subscriptionResolvers, tenantResolvers, systemResolvers, webhookResolvers];
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts) {
    for (const [type, fields] of Object.entries(part)) merged[type] = { ...merged[type], ...fields };
  }
  return { ...(merged as Resolvers), ...takingTurns(merged), DateTime: DateTimeResolver, JSON: JSONResolver };
}

/** The fields that go to the database once per parent: they take turns on the request's share of the pool. */
const DATABASE_BOUND: Record<string, 'all' | string[]> = { Query: 'all', Tenant: ['members'] };

type AnyResolver = (parent: unknown, args: unknown, ctx: GraphQLContext, info: unknown) => unknown;

function takingTurns(merged: Record<string, Record<string, unknown>>): Resolvers {
  const wrapped: Record<string, Record<string, unknown>> = {};
  for (const [type, fields] of Object.entries(DATABASE_BOUND)) {
    wrapped[type] = { ...merged[type] };
    for (const [name, resolve] of Object.entries(merged[type])) {
      if (typeof resolve !== 'function' || (fields !== 'all' && !fields.includes(name))) continue;
      const inner = resolve as AnyResolver;
      wrapped[type][name] = (parent: unknown, args: unknown, ctx: GraphQLContext, info: unknown) =>
        ctx.loaders.connections.run(async () => inner(parent, args, ctx, info));
    }
  }
  return wrapped as Resolvers;
}
