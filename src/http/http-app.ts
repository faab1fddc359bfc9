import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import { createServer, type Server } from 'node:http';
import { v7 as uuidv7 } from 'uuid';
import { bearerToken } from '../auth/access-tokens';
import type { Config } from '../config';
import type { GraphQLContext } from '../graphql/context';
import { formatError } from '../graphql/format-error';
import { loggingPlugin } from '../graphql/logging-plugin';
import { metricsPlugin } from '../graphql/metrics-plugin';
import { tracingPlugin } from '../graphql/tracing-plugin';
import type { Logger } from '../logger';
import type { HeraldMetrics } from '../observability/metrics';
import type { Services } from '../services';
import { continueRequestTrace, requestTrace, startRequestTrace } from './request-tracing';
import { sandboxLandingPage } from './sandbox-landing-page';

const REQUEST_ID = /^[\w.-]{1,64}$/;

export interface HttpParts {
  server: Server;
  apollo: ApolloServer<GraphQLContext>;
}

/**
 * Express 5 with Apollo Server on POST /graphql (and Apollo Sandbox on GET), plus /healthz and
 * /readyz, and /metrics when `metricsEndpoint` is given. `onDrain` runs when Apollo stops (it
 * closes the WebSocket side); `readiness` answers /readyz.
 */
export async function createHttpApp(options: {
  config: Config;
  schema: GraphQLSchema;
  services: Services;
  logger: Logger;
  readiness: () => Promise<Record<string, boolean>>;
  onDrain: () => Promise<void>;
  metrics: HeraldMetrics;
  metricsEndpoint?: express.RequestHandler;
}): Promise<HttpParts> {
  const { config, services, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  const server = createServer(app);

  const apollo = new ApolloServer<GraphQLContext>({
    schema: options.schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // Sandbox needs introspection, so SANDBOX=true turns it on in production too.
    introspection: config.nodeEnv !== 'production' || config.sandbox,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      { async serverWillStart() { return { drainServer: options.onDrain }; } },
      config.sandbox ? sandboxLandingPage() : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
      loggingPlugin(logger),
      metricsPlugin(options.metrics),
      tracingPlugin(),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await options.readiness();
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });
  if (options.metricsEndpoint) app.get('/metrics', options.metricsEndpoint);

  app.use(
    '/graphql',
    (req, res, next) => {
      const supplied = req.get('x-request-id');
      res.locals.requestId = supplied && REQUEST_ID.test(supplied) ? supplied : uuidv7();
      res.setHeader('x-request-id', res.locals.requestId);
      next();
    },
    startRequestTrace,
    express.json({ limit: '100kb' }),
    continueRequestTrace,
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GraphQLContext> => {
        const token = bearerToken(req.headers.authorization);
        const viewer = token ? await services.auth.viewerFromAccessToken(token) : null;
        return {
          tokenRejected: token !== null && viewer === null,
          connection: null,
          requestId: res.locals.requestId as string,
          ip: req.ip ?? null,
          userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
          traceparent: requestTrace(res).traceparent,
          span: requestTrace(res).span,
          viewer,
          services,
        };
      },
    }),
  );

  return { server, apollo };
}
