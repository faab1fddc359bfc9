import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { Resolvers } from '../generated/graphql';
import { accountResolvers } from '../resolvers/accounts';
import { eventResolvers } from '../resolvers/events';
import { identityResolvers } from '../resolvers/identity';
import { invitationResolvers } from '../resolvers/invitations';
import { subscriptionResolvers } from '../resolvers/subscriptions';
import { systemResolvers } from '../resolvers/system';
import { tenantResolvers } from '../resolvers/tenants';

/** Every resolver map, merged by root type. */
export function createResolvers(): Resolvers {
  const parts: Resolvers[] = [identityResolvers, accountResolvers, invitationResolvers, eventResolvers, subscriptionResolvers, tenantResolvers, systemResolvers];
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts) {
    for (const [type, fields] of Object.entries(part)) merged[type] = { ...merged[type], ...fields };
  }
  return { ...(merged as Resolvers), DateTime: DateTimeResolver, JSON: JSONResolver };
}
