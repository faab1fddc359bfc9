import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import express, { type ErrorRequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import { createServer, type Server } from 'node:http';
import { v7 as uuidv7 } from 'uuid';
import { bearerToken } from '../auth/access-tokens';
import type { Config } from '../config';
import type { GraphQLContext } from '../graphql/context';
import { costLimitPlugin } from '../graphql/cost-limit-plugin';
import { formatError, rethrowBeforeExecution } from '../graphql/format-error';
import { loggingPlugin } from '../graphql/logging-plugin';
import { LIMIT_EXCEEDED, operationLimitRules } from '../graphql/operation-limits';
import { metricsPlugin } from '../graphql/metrics-plugin';
import { tracingPlugin } from '../graphql/tracing-plugin';
import type { Logger } from '../logger';
import type { HeraldMetrics } from '../observability/metrics';
import type { Services } from '../services';
import { corsPolicy } from './cors-policy';
import { securityHeaders } from './security-headers';
import { tokenLimit } from './token-limit';
import { continueRequestTrace, requestTrace, startRequestTrace } from './request-tracing';
import { sandboxLandingPage } from './sandbox-landing-page';
import { consoleRoutes } from './console';

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
  /**
   * What /readyz reports: each dependency's check, and whether the instance can serve without the
   * ones that fail (it needs PostgreSQL; without Redis it serves on polls, degraded).
   */
  readiness: () => Promise<{ canServe: boolean; checks: Record<string, boolean> }>;
  onDrain: () => Promise<void>;
  metrics: HeraldMetrics;
  metricsEndpoint?: express.RequestHandler;
  /** GraphQL over Server-Sent Events (src/live/sse), served at /graphql/stream. */
  streamHandler?: express.RequestHandler;
}): Promise<HttpParts> {
  const { config, services, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  // The same policy as the WebSocket side's (src/http/client-address.ts): Express uses proxy-addr too.
  app.set('trust proxy', typeof config.trustProxy === 'object' ? [...config.trustProxy] : config.trustProxy);
  app.use(securityHeaders());
  const server = createServer(app);

  const apollo = new ApolloServer<GraphQLContext>({
    schema: options.schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // Herald stops Apollo itself, in order (src/main.ts, Herald.stop). Apollo's own SIGTERM handler
    // would start a second stop(), and a stop() called while another drains never resolves.
    stopOnTerminationSignals: false,
    introspection: config.http.introspection,
    hideSchemaDetailsFromClientErrors: !config.http.introspection,
    // Batching stays off (Apollo's default): a JSON array body answers 400 BAD_REQUEST.
    allowBatchedHttpRequests: false,
    validationRules: operationLimitRules(config.limits),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      { async serverWillStart() { return { drainServer: options.onDrain }; } },
      // Without Sandbox no page at all: Apollo's production page loads a `_latest` script from its CDN and names its version.
      config.http.sandbox ? sandboxLandingPage() : ApolloServerPluginLandingPageDisabled(),
      costLimitPlugin(config.limits.maxCost),
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
    const { canServe, checks } = await options.readiness();
    const status = !canServe ? 'unavailable' : Object.values(checks).every(Boolean) ? 'ready' : 'degraded';
    res.status(canServe ? 200 : 503).json({ status, checks });
  });
  if (options.metricsEndpoint) app.get('/metrics', options.metricsEndpoint);
  if (config.console) app.use('/console', consoleRoutes({ config, services, logger }));

  const requestId: express.RequestHandler = (req, res, next) => {
    const supplied = req.get('x-request-id');
    res.locals.requestId = supplied && REQUEST_ID.test(supplied) ? supplied : uuidv7();
    res.setHeader('x-request-id', res.locals.requestId);
    next();
  };
  if (options.streamHandler) {
    // Before /graphql, which would take /graphql/stream as its own sub-path.
    app.use(
      '/graphql/stream',
      corsPolicy(config.http.corsOrigins),
      requestId,
      express.json({ limit: config.limits.requestBodyBytes }),
      options.streamHandler,
    );
  }
  app.use(
    '/graphql',
    corsPolicy(config.http.corsOrigins),
    requestId,
    startRequestTrace,
    express.json({ limit: config.limits.requestBodyBytes }),
    tokenLimit(config.limits.maxTokens),
    continueRequestTrace,
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GraphQLContext> => {
        const token = bearerToken(req.headers.authorization);
        const viewer = token ? await services.auth.viewerFromAccessToken(token).catch(rethrowBeforeExecution) : null;
        return {
          tokenRejected: token !== null && viewer === null,
          requestId: res.locals.requestId as string,
          ip: req.ip ?? null,
          userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
          traceparent: requestTrace(res).traceparent,
          span: requestTrace(res).span,
          viewer,
          services,
          loaders: services.loaders(),
        };
      },
    }),
  );
  app.use(requestBodyErrors(logger, config.limits.requestBodyBytes));
  // Anything else: a JSON 404 in the API's error shape, not Express's HTML page.
  app.use((req, res) => {
    res.status(404).json({ errors: [{ message: `Nothing here: ${req.method} ${req.path.slice(0, 100)}. The API is POST /graphql.`, extensions: { code: 'NOT_FOUND' } }] });
  });

  return { server, apollo };
}

/**
 * Answers what express.json refuses (malformed JSON, a body over the limit) as a GraphQL error
 * with a code, instead of Express's HTML page, which shows the stack outside production.
 */
function requestBodyErrors(logger: Logger, bodyLimit: number): ErrorRequestHandler {
  return (error: { status?: number; type?: string; expose?: boolean; message?: string }, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = error.status ?? 500;
    if (status >= 500 || !error.expose) {
      logger.error({ err: error, requestId: res.locals.requestId }, 'unexpected error before GraphQL');
      const masked = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      res.status(500).json({ errors: [masked] });
      return;
    }
    if (error.type === 'entity.too.large') {
      const message = `The request body is over the limit of ${bodyLimit / 1024} KB; send a smaller request.`;
      res.status(413).json({ errors: [{ message, extensions: { code: LIMIT_EXCEEDED, limit: 'requestBody', max: bodyLimit } }] });
      return;
    }
    const message =
      error.type === 'entity.parse.failed'
        ? 'The request body is not valid JSON; send {"query": "...", "variables": {...}}.'
        : String(error.message);
    res.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  };
}
