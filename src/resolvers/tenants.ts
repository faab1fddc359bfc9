import type { Resolvers } from '../generated/graphql';
import { onboardingOf } from '../services/tenant-onboarding';

/** Thin: each resolver hands the request context and its arguments to a service, which checks access. */
export const tenantResolvers: Resolvers = {
  Query: {
    tenant: (_, args, ctx) => ctx.services.tenants.get(ctx, args),
    tenants: (_, args, ctx) => ctx.services.tenants.list(ctx, args),
    auditLog: (_, { tenantId, ...page }, ctx) => ctx.services.tenants.auditEntries(ctx, tenantId, page),
  },
  Mutation: {
    createTenant: (_, { input }, ctx) => ctx.services.tenants.create(ctx, input),
    updateTenant: (_, { id, input }, ctx) => ctx.services.tenants.update(ctx, id, input),
    deleteTenant: (_, { id }, ctx) => ctx.services.tenants.delete(ctx, id),
    retryTenantOnboarding: (_, { id }, ctx) => ctx.services.tenants.retryOnboarding(ctx, id),
    addMember: (_, { tenantId, ...input }, ctx) => ctx.services.memberships.add(ctx, tenantId, input),
    removeMember: (_, { tenantId, userId }, ctx) => ctx.services.memberships.remove(ctx, tenantId, userId),
    changeMemberRole: (_, { tenantId, userId, role }, ctx) => ctx.services.memberships.changeRole(ctx, tenantId, userId, role),
  },
  Tenant: {
    // Only live tenants reach the API, and they have a name (tombstones lose it).
    name: (tenant) => tenant.name ?? '',
    onboarding: (tenant, _, ctx) => onboardingOf(tenant, ctx.viewer?.isPlatformAdmin ?? false),
    members: (tenant, _, ctx) => ctx.services.memberships.list(ctx, tenant.id),
  },
  AuditEntry: {
    actor: (entry, _, ctx) => (entry.actorId ? ctx.loaders.user.load(entry.actorId) : null),
  },
};
