import type { Server } from 'node:http';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { v7 as uuidv7 } from 'uuid';
import { WebSocketServer } from 'ws';
import { bearerToken } from '../auth/access-tokens';
import type { RequestLimits } from '../config';
import type { Logger } from '../logger';
import { HeraldCloseCode } from '../live/close-codes';
import type { Services } from '../services';
import { childOf, formatTraceparent, parseTraceparent } from '../observability/traceparent';
import type { GraphQLContext } from './context';
import { DocumentCache } from './document-cache';
import { formatError, isExpectedError } from './format-error';
import { liveSubscribe } from './live-execution';
import { maskedResult } from './masked-result';
import { NextFrames } from './next-frames';
import { prepareWebSocketOperation } from './operation-limits';
import type { WsConnection } from './ws-connection';
import type { ProtocolHooks } from './ws-protocol';
import { serveGraphQLWs } from './ws-transport';

/** How often token expiries are checked, ms: one timer for all connections, not one each. */
const EXPIRY_SWEEP_MS = 500;

/** Distinct operation texts whose parsed document is kept. */
const DOCUMENT_CACHE_SIZE = 500;

/**
 * graphql-transport-ws (Herald's protocol server, ws-transport.ts) on the HTTP server's `/graphql`
 * path, with Herald's policy as its hooks. The access token travels in `connection_init`
 * (`{ "authorization": "Bearer <token>" }`); a missing or invalid one closes the socket with 4403,
 * and the socket closes with 4403 when the token expires. Errors are masked here as over HTTP,
 * since Apollo's formatError does not run for WebSocket traffic.
 */
export type WebSocketServerHandle = ReturnType<typeof startWebSocketServer>;

export function startWebSocketServer(options: {
  httpServer: Server;
  schema: GraphQLSchema;
  services: Services;
  logger: Logger;
  production: boolean;
  trustProxy: boolean;
  limits: { maxSubscriptionsPerConnection: number; maxConnectionsPerUser: number };
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
  /** Open, authenticated connections by user, to count them and to close a session's. */
  const byUser = new Map<string, Set<WsConnection>>();
    const expirySweep = setInterval(() => {
    const now = Date.now();
    for (const open of byUser.values()) {
      for (const connection of open) {
        if (connection.viewer!.tokenExpiresAt * 1000 <= now) {
          connection.close(HeraldCloseCode.Forbidden, 'Access token expired; reconnect with a fresh one');
        }
      }
    }
  }, EXPIRY_SWEEP_MS);
  expirySweep.unref();

  // Parsed and validated documents by source text: thousands of identical subscriptions share one.
  const documents = new DocumentCache(DOCUMENT_CACHE_SIZE);

  const hooks: ProtocolHooks = {
    onConnect: async (connection, params) => {
      const token = bearerToken(authorizationOf(params));
      const viewer = token ? await services.auth.viewerFromAccessToken(token) : null;
      if (!viewer) return false; // closes with 4403 Forbidden
      // Closed while the token was checked: nothing to count.
      if (connection.closed) return false;
      const open = byUser.get(viewer.userId) ?? new Set<WsConnection>();
      if (open.size >= options.limits.maxConnectionsPerUser) {
        connection.close(HeraldCloseCode.TooManyConnections, `Too many connections: at most ${options.limits.maxConnectionsPerUser} per user`);
        return false;
      }
      connection.viewer = viewer;
      byUser.set(viewer.userId, open.add(connection));
      return true;
    },
    onClose: (connection) => {
      const viewer = connection.viewer;
      if (viewer) {
        const open = byUser.get(viewer.userId);
        open?.delete(connection);
        if (open?.size === 0) byUser.delete(viewer.userId);
      }
    },
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
    context: (connection, id): GraphQLContext => ({
      connection: new NextFrames(connection.socket, id),
      requestId: uuidv7(),
      ip: connection.ip,
      userAgent: connection.userAgent,
      // Each operation is a trace of its own, under the upgrade request's traceparent if it sent one.
      traceparent: formatTraceparent(childOf(parseTraceparent(connection.traceparent))),
      viewer: connection.viewer,
      tokenRejected: false,
      services,
    }),
    subscribe: liveSubscribe({ fanOut: services.live.fanOut, logger }),
    formatResult: (id, result) =>
      maskedResult(result, (error) => logger.error({ err: error, subscriptionId: id }, 'subscription error')),
    formatErrors: (id, reported) => {
      const errors = reported.map(withValidationCode);
      for (const error of errors) {
        if (!isExpectedError(error)) logger.error({ err: error, subscriptionId: id }, 'subscription error');
      }
      return errors.map((error) => formatError(error.toJSON(), error));
    },
  };
  const disposable = serveGraphQLWs(
    {
      isProd: options.production,
      hooks,
      logger,
      describe: (request) => ({
        ip: clientIp(request.headers['x-forwarded-for'], request.socket.remoteAddress, options.trustProxy),
        userAgent: request.headers['user-agent'] ?? null,
        traceparent: headerOf(request.headers.traceparent),
      }),
    },
    wss,
  );

  return {
    /** Closes the connections of a session whose access was revoked. */
    closeSession(sessionId: string, reason: string): void {
      for (const open of byUser.values()) {
        for (const connection of open) {
          if (connection.viewer?.sessionId === sessionId) connection.close(HeraldCloseCode.Forbidden, reason);
        }
      }
    },
    /** Authenticated connections open now. */
    get connectionCount(): number {
      let count = 0;
      for (const open of byUser.values()) count += open.size;
      return count;
    },
    /** Completes every subscription and closes every socket. */
    async dispose(): Promise<void> {
      clearInterval(expirySweep);
      await disposable.dispose();
    },
  };
}

/**
 * The protocol server reports graphql-js's validation errors (and "Unable to identify operation") with no
 * code, where Apollo gives them GRAPHQL_VALIDATION_FAILED: give them the same code. An error with
 * a cause (a failed stream) stays as it is, to be masked.
 */
function withValidationCode(error: GraphQLError): GraphQLError {
  if (error.extensions.code || error.originalError) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
  });
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

/** The client's IP: the first X-Forwarded-For hop when behind a trusted proxy, else the socket's. */
export function clientIp(forwardedFor: string | string[] | undefined, remote: string | undefined, trustProxy: boolean) {
  const header = Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor;
  if (trustProxy && header) return header.split(',')[0].trim().slice(0, 64);
  return remote ?? null;
}
