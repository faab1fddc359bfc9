import type { Resolvers } from '../generated/graphql';
import { requireViewer } from '../graphql/context';

/** Thin: each resolver hands the request context and its arguments to a service. */
export const identityResolvers: Resolvers = {
  Query: {
    me: (_, __, ctx) => {
      if (!ctx.viewer && !ctx.tokenRejected) return null;
      return ctx.services.auth.userById(requireViewer(ctx).userId);
    },
  },
  Mutation: {
    register: (_, { input }, ctx) => ctx.services.auth.register(ctx, input),
    login: (_, { input }, ctx) => ctx.services.auth.login(ctx, input),
    refreshToken: (_, { token }, ctx) => ctx.services.auth.refresh(ctx, token),
    logout: (_, { refreshToken }, ctx) => ctx.services.auth.logout(ctx, refreshToken),
    logoutEverywhere: (_, __, ctx) => ctx.services.auth.logoutEverywhere(ctx),
  },
};
