import type { Server } from 'node:http';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { v7 as uuidv7 } from 'uuid';
import { WebSocketServer } from 'ws';
import { bearerToken } from '../auth/access-tokens';
import type { RequestLimits } from '../config';
import type { Logger } from '../logger';
import type { Services } from '../services';
import type { Viewer } from '../services/request-context';
import { childOf, formatTraceparent, parseTraceparent } from '../observability/traceparent';
import type { GraphQLContext } from './context';
import { DocumentCache } from './document-cache';
import { formatError, isExpectedError } from './format-error';
import { liveSubscribe } from './live-execution';
import { maskedResult } from './masked-result';
import { nextFrames } from './next-frames';
import { prepareWebSocketOperation } from './operation-limits';

/** What a connection keeps between hooks. */
interface ConnectionState {
  viewer?: Viewer;
  expiryTimer?: NodeJS.Timeout;
  close?: (code: number, reason: string) => void;
}

/** Distinct operation texts whose parsed document is kept. */
const DOCUMENT_CACHE_SIZE = 500;

/** Close code when a user opens more connections than allowed. */
export const TOO_MANY_CONNECTIONS_CLOSE_CODE = 4429;

/**
 * graphql-ws on the HTTP server's `/graphql` path. The access token travels in `connection_init`
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
  const states = new WeakMap<object, ConnectionState>();
  /** Open, authenticated connections by user, to count them and to close a session's. */
  const byUser = new Map<string, Set<ConnectionState>>();
  const stateOf = (extra: object) => {
    let state = states.get(extra);
    if (!state) states.set(extra, (state = {}));
    return state;
  };

  // Parsed and validated documents by source text: thousands of identical subscriptions share one.
  const documents = new DocumentCache(DOCUMENT_CACHE_SIZE);

  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      schema: options.schema,
      subscribe: liveSubscribe({ fanOut: services.live.fanOut, logger }) as never,
      isProd: options.production,
      onConnect: async (ctx) => {
        const token = bearerToken(authorizationOf(ctx.connectionParams));
        const viewer = token ? await services.auth.viewerFromAccessToken(token) : null;
        if (!viewer) return false; // closes with 4403 Forbidden
        const open = byUser.get(viewer.userId) ?? new Set<ConnectionState>();
        if (open.size >= options.limits.maxConnectionsPerUser) {
          ctx.extra.socket.close(
            TOO_MANY_CONNECTIONS_CLOSE_CODE,
            `Too many connections: at most ${options.limits.maxConnectionsPerUser} per user`,
          );
          return false;
        }
        const state = stateOf(ctx.extra);
        state.viewer = viewer;
        state.close = (code, reason) => ctx.extra.socket.close(code, reason);
        byUser.set(viewer.userId, open.add(state));
        const msLeft = viewer.tokenExpiresAt * 1000 - Date.now();
        state.expiryTimer = setTimeout(
          () => ctx.extra.socket.close(CloseCode.Forbidden, 'Access token expired; reconnect with a fresh one'),
          Math.max(0, Math.min(msLeft, 2 ** 31 - 1)),
        );
        return true;
      },
      onClose: (ctx) => {
        const state = stateOf(ctx.extra);
        clearTimeout(state.expiryTimer);
        if (state.viewer) {
          const open = byUser.get(state.viewer.userId);
          open?.delete(state);
          if (open?.size === 0) byUser.delete(state.viewer.userId);
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        const max = options.limits.maxSubscriptionsPerConnection;
        // graphql-ws has already registered this subscription's id when it calls this hook.
        if (Object.keys(ctx.subscriptions).length > max) {
          return [
            new GraphQLError(`Too many subscriptions on this connection: at most ${max}. Complete one first.`, {
              extensions: { code: 'RATE_LIMITED' },
            }),
          ];
        }
        return prepareWebSocketOperation(options.schema, payload, { ...options.operations, documents });
      },
      context: (ctx, id): GraphQLContext => {
        const request = ctx.extra.request;
        const state = stateOf(ctx.extra);
        // Each operation is a trace of its own, under the upgrade request's traceparent if it sent one.
        const traceparent = formatTraceparent(childOf(parseTraceparent(headerOf(request.headers.traceparent))));
        return {
          connection: {
            close: (code, reason) => state.close?.(code, reason),
            output: nextFrames(ctx.extra.socket, id),
          },
          requestId: uuidv7(),
          ip: clientIp(request.headers['x-forwarded-for'], request.socket.remoteAddress, options.trustProxy),
          userAgent: request.headers['user-agent'] ?? null,
          traceparent,
          viewer: state.viewer ?? null,
          tokenRejected: false,
          services,
        };
      },
      onNext: (_ctx, id, _payload, _args, result) => {
        if (!result.errors?.length) return;
        return maskedResult(result, (error) => logger.error({ err: error, subscriptionId: id }, 'subscription error')) as never;
      },
      onError: (_ctx, id, _payload, reported) => {
        const errors = reported.map(withValidationCode);
        for (const error of errors) {
          if (!isExpectedError(error)) logger.error({ err: error, subscriptionId: id }, 'subscription error');
        }
        return errors.map((error: GraphQLError) => formatError(error.toJSON(), error));
      },
    },
    wss,
  );

  return {
    /** Closes the connections of a session whose access was revoked. */
    closeSession(sessionId: string, reason: string): void {
      for (const open of byUser.values()) {
        for (const state of open) {
          if (state.viewer?.sessionId === sessionId) state.close?.(CloseCode.Forbidden, reason);
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
      await disposable.dispose();
    },
  };
}

/**
 * graphql-ws reports graphql-js's validation errors (and "Unable to identify operation") with no
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
