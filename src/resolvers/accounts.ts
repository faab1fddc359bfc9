import type { Resolvers } from '../generated/graphql';

/** Thin: verified email, passwords, sessions, and platform admins' support tools. */
export const accountResolvers: Resolvers = {
  Query: {
    sessions: (_, __, ctx) => ctx.services.sessions.list(ctx),
  },
  Mutation: {
    verifyEmail: (_, { token }, ctx) => ctx.services.verification.verify(ctx, token),
    resendVerificationEmail: (_, __, ctx) => ctx.services.verification.resend(ctx),
    changeEmail: (_, args, ctx) => ctx.services.verification.changeEmail(ctx, args),
    requestPasswordReset: (_, args, ctx) => ctx.services.passwords.requestReset(ctx, args),
    resetPassword: (_, args, ctx) => ctx.services.passwords.reset(ctx, args),
    changePassword: (_, args, ctx) => ctx.services.passwords.change(ctx, args),
    revokeSession: (_, { id }, ctx) => ctx.services.sessions.revoke(ctx, id),
    deleteAccount: (_, args, ctx) => ctx.services.erasure.deleteAccount(ctx, args),
    unlockAccount: (_, { email }, ctx) => ctx.services.support.unlockAccount(ctx, email),
    sendVerificationEmail: (_, { email }, ctx) => ctx.services.support.sendVerificationEmail(ctx, email),
    endUserSessions: (_, { email }, ctx) => ctx.services.support.endUserSessions(ctx, email),
  },
  User: {
    emailVerified: (user) => user.emailVerifiedAt !== null,
    isPlatformAdmin: (user, _, ctx) => ctx.services.platformAdmins.isAdmin(user),
  },
};
