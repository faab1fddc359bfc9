import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express from 'express';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { withFilter } from 'graphql-subscriptions';
import { useServer } from 'graphql-ws/use/ws';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { JWT_SECRET, REDIS_URL } from '../../test/support/env';
import { openFilesLimit, serveParent, statsAfter } from '../support/bench-child';
import { publishPaced, referenceEvent, type PublishRequest } from './event-source';
import type { FanOutServerReady, FanOutTarget, ServerStats } from './server-contract';

/**
 * Apollo's subscription recipe (a child process of the fan-out bench), as its documentation builds
 * it: Apollo Server 5 on Express, graphql-ws `useServer` on the same HTTP server, and
 * graphql-redis-subscriptions' RedisPubSub with `withFilter` on ONE channel: every event goes to
 * every subscription's iterator, which keeps those of its tenant. The token in `connection_init` is
 * verified (a JWT, as Herald's), so both pay for authentication.
 */

const typeDefs = /* GraphQL */ `
  scalar DateTime
  scalar JSON
  type Event { id: ID! seq: String! name: String! tenantId: ID actorId: ID occurredAt: DateTime! payload: JSON! }
  type Query { ok: Boolean! }
  type Subscription { tenantEvents(tenantId: ID!): Event! }
`;

interface Context {
  userId: string;
}

async function main(): Promise<void> {
  const channel = `herald-bench-recipe-${randomBytes(4).toString('hex')}:EVENTS`;
  const pubsub = new RedisPubSub({ publisher: new Redis(REDIS_URL), subscriber: new Redis(REDIS_URL) });
  const schema = makeExecutableSchema({
    typeDefs,
    resolvers: {
      DateTime: DateTimeResolver,
      JSON: JSONResolver,
      Query: { ok: () => true },
      Subscription: {
        tenantEvents: {
          subscribe: withFilter(
            () => pubsub.asyncIterableIterator(channel),
            (payload: { tenantEvents: { tenantId: string } } | undefined, args: { tenantId: string } | undefined) =>
              payload?.tenantEvents.tenantId === args?.tenantId,
          ),
        },
      },
    },
  });

  const app = express();
  const httpServer = createServer(app);
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  let subscriptions = 0;
  const serverCleanup = useServer<Record<string, unknown>, { user?: Context }>(
    {
      schema,
      onConnect: (ctx) => {
        const header = String(ctx.connectionParams?.authorization ?? '');
        try {
          const claims = jwt.verify(header.replace(/^Bearer /, ''), JWT_SECRET) as { sub: string };
          ctx.extra.user = { userId: claims.sub };
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx) => ctx.extra.user,
      onSubscribe: () => void subscriptions++,
      onComplete: () => void subscriptions--,
    },
    wss,
  );
  const apollo = new ApolloServer<Context>({
    schema,
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await serverCleanup.dispose(); } }; } },
    ],
  });
  await apollo.start();
  app.use('/graphql', express.json(), expressMiddleware(apollo, { context: async () => ({ userId: 'anonymous' }) }));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));

  const tenantId = randomUUID();
  const setup = (): FanOutTarget => ({ token: jwt.sign({ sub: randomUUID() }, JWT_SECRET, { expiresIn: '2h' }), tenantId });
  const publish = (request: PublishRequest) =>
    publishPaced(request, 'called', (key) => pubsub.publish(channel, { tenantEvents: referenceEvent(tenantId, key) }));

  const { port } = httpServer.address() as AddressInfo;
  const ready: FanOutServerReady = { url: `ws://127.0.0.1:${port}/graphql`, protocol: 'graphql-ws', fdLimit: openFilesLimit() };
  serveParent(
    ready,
    {
      setup,
      publish,
      stats: async (body: { gc?: boolean }): Promise<ServerStats> => ({
        ...(await statsAfter(body)),
        connections: wss.clients.size,
        subscriptions,
      }),
    },
    async () => {
      await apollo.stop();
      await pubsub.close();
    },
  );
}

void main();
