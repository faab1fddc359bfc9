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
    tenant: (invitation, _, ctx) => ctx.services.invitations.tenantOf(invitation),
    invitedBy: (invitation, _, ctx) => (invitation.invitedBy ? ctx.services.auth.userById(invitation.invitedBy) : null),
  },
};
