import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { Resolvers } from '../generated/graphql';
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
  return { ...(merged as Resolvers), DateTime: DateTimeResolver, JSON: JSONResolver };
}
