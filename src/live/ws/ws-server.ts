import type { Server } from 'node:http';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { v7 as uuidv7 } from 'uuid';
import { WebSocketServer } from 'ws';
import { clientAddress, type TrustProxy } from '../../http/client-address';
import { bearerToken } from '../../auth/access-tokens';
import type { RequestLimits } from '../../config';
import type { GraphQLContext } from '../../graphql/context';
import { DocumentCache } from '../../graphql/document-cache';
import { maskedResult } from '../../graphql/masked-result';
import { prepareWebSocketOperation } from '../../graphql/operation-limits';
import type { Logger } from '../../logger';
import { childOf, formatTraceparent, parseTraceparent } from '../../observability/traceparent';
import type { Services } from '../../services';
import type { Viewer } from '../../services/request-context';
import type { StartOperation } from '../live-operation';
import { formatOperationErrors } from '../operation-errors';
import type { ViewerConnections } from '../viewer-connections';
import type { WsConnection } from './ws-connection';
import type { ProtocolHooks } from './ws-protocol';
import { serveGraphQLWs } from './ws-transport';

/** Distinct operation texts whose parsed document is kept. */
const DOCUMENT_CACHE_SIZE = 500;

/** What server.ts keeps of the WebSocket server: `dispose` on drain. */
export type WebSocketServerHandle = ReturnType<typeof startWebSocketServer>;

/**
 * graphql-transport-ws (Herald's protocol server, ws-transport.ts) on the HTTP server's `/graphql`
 * path, with Herald's policy as its hooks. The access token travels in `connection_init`
 * (`{ "authorization": "Bearer <token>" }`); a missing or invalid one closes the socket with 4403,
 * and the socket closes with 4403 when the token expires. Errors are masked here as over HTTP,
 * since Apollo's formatError does not run for WebSocket traffic. Connections count against the
 * user's limit in ViewerConnections (one over it closes with 4602).
 */
export function startWebSocketServer(options: {
  httpServer: Server;
  schema: GraphQLSchema;
  services: Services;
  /** Starts subscription operations (live-operation.ts), shared with the SSE adapter. */
  startOperation: StartOperation;
  logger: Logger;
  production: boolean;
  trustProxy: TrustProxy;
  limits: { maxSubscriptionsPerConnection: number };
  /** Live connections by user, shared with the SSE adapter: the per-user limit, session ends, expiry. */
  connections: ViewerConnections;
  /** The same operation limits and introspection setting as over HTTP. */
  operations: { limits: RequestLimits; introspection: boolean };
}) {
  const { services, logger } = options;
  // maxPayload: a bigger message closes the socket with 1009 before it is buffered whole.
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: '/graphql',
    maxPayload: options.operations.limits.wsMaxPayloadBytes,
  });
  // Parsed and validated documents by source text: thousands of identical subscriptions share one.
  const documents = new DocumentCache(DOCUMENT_CACHE_SIZE);

  const hooks: ProtocolHooks = {
    onConnect: async (connection, params) => {
      const token = bearerToken(authorizationOf(params));
      const viewer = token ? await services.auth.viewerFromAccessToken(token) : null;
      if (!viewer) return false; // closes with 4403 Forbidden
      // Closed while the token was checked: nothing to count.
      if (connection.closed) return false;
      connection.viewer = viewer;
      if (!options.connections.add(connection as WsConnection & { viewer: Viewer })) {
        connection.viewer = null;
        const { code, reason } = options.connections.overLimit;
        connection.close(code, reason);
        return false;
      }
      return true;
    },
    onClose: (connection) => options.connections.delete(connection),
    onSubscribe: (connection, _id, payload) => {
      const max = options.limits.maxSubscriptionsPerConnection;
      // The protocol server has already registered this operation's id when it calls this hook.
      if (connection.operations.size > max) {
        return [
          new GraphQLError(`Too many subscriptions on this connection: at most ${max}. Complete one first.`, {
            extensions: { code: 'RATE_LIMITED' },
          }),
        ];
      }
      return prepareWebSocketOperation(options.schema, payload, { ...options.operations, documents });
    },
    context: (connection): GraphQLContext => ({
      requestId: uuidv7(),
      ip: connection.ip,
      userAgent: connection.userAgent,
      // Each operation is a trace of its own, under the upgrade request's traceparent if it sent one.
      traceparent: formatTraceparent(childOf(parseTraceparent(connection.traceparent))),
      viewer: connection.viewer,
      tokenRejected: false,
      services,
      loaders: services.loaders(),
    }),
    subscribe: options.startOperation,
    formatResult: (id, result) =>
      maskedResult(result, (error) => logger.error({ err: error, subscriptionId: id }, 'subscription error')),
    formatErrors: (id, reported) =>
      formatOperationErrors(reported, (error) => logger.error({ err: error, subscriptionId: id }, 'subscription error')),
  };
  const disposable = serveGraphQLWs(
    {
      isProd: options.production,
      hooks,
      logger,
      describe: (request) => ({
        ip: clientAddress(request, options.trustProxy),
        userAgent: request.headers['user-agent'] ?? null,
        traceparent: headerOf(request.headers.traceparent),
      }),
    },
    wss,
  );

  return {
    /** Completes every subscription and closes every socket. */
    dispose: () => disposable.dispose(),
  };
}

/**
 * The `authorization` entry of connection_init's payload, whatever its case: Apollo Sandbox sends
 * its HTTP headers as the payload, so it arrives as `Authorization`.
 */
export function authorizationOf(params: Record<string, unknown> | undefined): unknown {
  if (!params) return undefined;
  if ('authorization' in params) return params.authorization;
  const key = Object.keys(params).find((name) => name.toLowerCase() === 'authorization');
  return key === undefined ? undefined : params[key];
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
