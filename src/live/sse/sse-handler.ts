import type { Request, RequestHandler, Response } from 'express';
import { getOperationAST, type ExecutionArgs, type GraphQLError, type GraphQLSchema } from 'graphql';
import { v7 as uuidv7 } from 'uuid';
import { bearerToken } from '../../auth/access-tokens';
import type { RequestLimits } from '../../config';
import type { GraphQLContext } from '../../graphql/context';
import { DocumentCache } from '../../graphql/document-cache';
import { maskedResult } from '../../graphql/masked-result';
import { prepareWebSocketOperation } from '../../graphql/operation-limits';
import type { Logger } from '../../logger';
import type { Services } from '../../services';
import type { Viewer } from '../../services/request-context';
import { HeraldCloseCode } from '../close-codes';
import type { StartOperation } from '../live-operation';
import { formatOperationErrors } from '../operation-errors';
import type { ViewerConnections } from '../viewer-connections';
import { SseStream } from './sse-stream';

/** Milliseconds between keep-alive comments on every open stream (one timer for all). */
const KEEP_ALIVE_MS = 12_000;

export interface SseOptions {
  schema: GraphQLSchema;
  services: Services;
  /** Starts subscription operations (live-operation.ts), shared with the WebSocket adapter. */
  startOperation: StartOperation;
  /** Live connections by user, shared with the WebSocket adapter: each stream counts as one. */
  connections: ViewerConnections;
  logger: Logger;
  /** The same operation limits and introspection setting as over HTTP and WebSocket. */
  operations: { limits: RequestLimits; introspection: boolean };
}

/**
 * GraphQL over Server-Sent Events at `/graphql/stream`, graphql-sse's protocol in its "distinct
 * connections" mode: each subscription is one request (POST with a JSON body `{query, variables,
 * operationName}`, or GET with them as query parameters) whose response is an event stream of
 * `next` events and a last `complete`. What dashboards behind proxies that block WebSockets use.
 * The same as over WebSocket: the bearer token (here the `Authorization` header), the operation
 * limits, the per-user connection limit, the resume cursor, masking, revocation; a stream closes
 * when its token expires or its session ends. Only subscriptions: queries and mutations go to
 * POST /graphql. Answers before the stream starts are JSON with a code, as graphql-sse's server
 * answers them (graphql-sse's client retries a non-2xx answer like a network error).
 */
export function sseHandler(options: SseOptions): { handle: RequestHandler; dispose: () => void } {
  const { services, logger } = options;
  const open = new Set<SseStream>();
  // Parsed and validated documents by source text: a thousand dashboards send the same one.
  const documents = new DocumentCache(500);
  const keepAlive = setInterval(() => {
    for (const stream of open) stream.keepAlive();
  }, KEEP_ALIVE_MS);
  keepAlive.unref();

  const refuse = (res: Response, status: number, code: string, message: string, extensions: Record<string, unknown> = {}) =>
    res.status(status).json({ errors: [{ message, extensions: { code, ...extensions } }] });

  async function handle(req: Request, res: Response): Promise<void> {
    const params = requestParams(req);
    if (typeof params?.query !== 'string') {
      return void refuse(res, 400, 'BAD_REQUEST', 'Send {"query": "subscription …", "variables": {…}} as JSON (POST) or as query parameters (GET).');
    }
    const token = bearerToken(req.headers.authorization);
    const viewer = token ? await services.auth.viewerFromAccessToken(token) : null;
    if (!viewer) {
      res.setHeader('www-authenticate', 'Bearer');
      return void refuse(res, 401, 'UNAUTHENTICATED', 'Send a valid access token as "Authorization: Bearer <token>".');
    }
    const prepared = prepareWebSocketOperation(options.schema, params as { query: string }, { ...options.operations, documents });
    if (Array.isArray(prepared)) {
      const errors = formatOperationErrors(prepared as readonly GraphQLError[], (error) => logger.error({ err: error }, 'subscription error'));
      return void res.status(400).json({ errors });
    }
    const args = prepared as ExecutionArgs;
    if (getOperationAST(args.document, args.operationName)?.operation !== 'subscription') {
      return void refuse(res, 400, 'BAD_REQUEST', 'Only subscriptions run here; send queries and mutations to POST /graphql.');
    }
    const stream = new SseStream(res, viewer, (over) => {
      open.delete(over);
      options.connections.delete(over);
    });
    if (!options.connections.add(stream as SseStream & { viewer: Viewer })) {
      return void refuse(res, 429, 'RATE_LIMITED', options.connections.overLimit.reason);
    }
    open.add(stream);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // proxies such as nginx: pass events on at once
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);

    let stop = () => {};
    res.on('close', () => {
      stream.gone();
      stop();
    });
    args.contextValue = contextOf(req, res, viewer);
    try {
      const started = await options.startOperation(args, stream);
      if ('live' in started) {
        stop = () => started.live.stop();
        if (stream.isOver) started.live.stop();
      } else if ('results' in started) {
        stop = () => void started.results.return();
        for (let step = await started.results.next(); !step.done && !stream.isOver; step = await started.results.next()) {
          stream.writeResult(masked(step.value));
        }
        stream.end();
      } else {
        stream.writeResult(masked(started.result));
        stream.end();
      }
    } catch (error) {
      logger.error({ err: error }, 'SSE subscription failed');
      stream.end([{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    }
  }

  const masked = (result: Parameters<typeof maskedResult>[0]) =>
    maskedResult(result, (error) => logger.error({ err: error }, 'subscription error'));

  function contextOf(req: Request, res: Response, viewer: Viewer): GraphQLContext {
    return {
      requestId: (res.locals.requestId as string | undefined) ?? uuidv7(),
      ip: req.ip ?? null,
      userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
      traceparent: (res.locals.traceparent as string | undefined) ?? null,
      viewer,
      tokenRejected: false,
      services,
      loaders: services.loaders(),
    };
  }

  return {
    handle: (req, res, next) => void handle(req, res).catch(next),
    /** Ends every stream without `complete` (the server is stopping: clients reconnect elsewhere). */
    dispose: () => {
      clearInterval(keepAlive);
      for (const stream of open) stream.close(HeraldCloseCode.GoingAway, 'Going away');
    },
  };
}

/** `{query, variables, operationName}` from a POST's JSON body or a GET's query parameters. */
function requestParams(req: Request): { query: unknown; variables?: Record<string, unknown> | null; operationName?: string | null } | null {
  if (req.method === 'POST') return typeof req.body === 'object' && req.body !== null ? req.body : null;
  if (req.method !== 'GET') return null;
  const { query, variables, operationName } = req.query as Record<string, string | undefined>;
  try {
    return { query, variables: variables ? JSON.parse(variables) : null, operationName: operationName ?? null };
  } catch {
    return null;
  }
}
