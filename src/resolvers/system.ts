import { requireViewer } from '../graphql/context';
import type { Resolvers } from '../generated/graphql';

export const systemResolvers: Resolvers = {
  Subscription: {
    serverTime: {
      subscribe: (_, __, ctx) => {
        requireViewer(ctx);
        return ticks(1_000);
      },
      resolve: (now: Date) => now,
    },
  },
};

/** The current time every `ms`, until the consumer stops iterating. */
async function* ticks(ms: number): AsyncGenerator<Date> {
  while (true) {
    yield new Date();
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}
