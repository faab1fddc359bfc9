import type { Resolvers } from '../generated/graphql';

/** Thin: invitations and leaving a tenant. */
export const invitationResolvers: Resolvers = {
  Query: {
    invitations: (_, { tenantId, status }, ctx) => ctx.services.invitations.list(ctx, tenantId, status ?? null),
    myInvitations: (_, __, ctx) => ctx.services.invitations.mine(ctx),
  },
  Mutation: {
    inviteMember: (_, { tenantId, ...input }, ctx) => ctx.services.invitations.invite(ctx, tenantId, input),
    resendInvitation: (_, { id }, ctx) => ctx.services.invitations.resend(ctx, id),
    revokeInvitation: (_, { id }, ctx) => ctx.services.invitations.revoke(ctx, id),
    acceptInvitation: (_, { token }, ctx) => ctx.services.invitations.accept(ctx, token),
    declineInvitation: (_, { token }, ctx) => ctx.services.invitations.decline(ctx, token),
    leaveTenant: (_, { tenantId }, ctx) => ctx.services.memberships.leave(ctx, tenantId),
  },
  Invitation: {
    tenant: async (invitation, _, ctx) => (await ctx.loaders.tenant.load(invitation.tenantId))!,
    invitedBy: (invitation, _, ctx) => (invitation.invitedBy ? ctx.loaders.user.load(invitation.invitedBy) : null),
  },
};
