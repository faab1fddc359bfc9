import type { IncomingMessage } from 'node:http';
import { CloseCode, DEPRECATED_GRAPHQL_WS_PROTOCOL, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type WebSocket from 'ws';
import type { WebSocketServer } from 'ws';

/**
 * What a connection keeps: its socket and what it needs of the upgrade request, copied at the
 * upgrade so the request itself (headers, its socket wrapper) is not retained for the
 * connection's lifetime. `state` is the application's (who is connected).
 */
export interface ConnectionExtra<State> {
  readonly socket: WebSocket;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly traceparent: string | undefined;
  state: State;
}

/** Milliseconds between pings; a socket that has not answered the previous ping is terminated. */
const KEEP_ALIVE_MS = 12_000;

/**
 * graphql-ws's transport-free core (`makeServer`) on a `ws` server: the same behaviour as
 * graphql-ws/use/ws, with less kept per connection. One keep-alive timer for all sockets instead
 * of an interval and a timeout per socket, and no retained upgrade request.
 */
export function serveGraphQLWs<State>(
  options: ServerOptions<Record<string, unknown> | undefined, ConnectionExtra<State>> & { isProd: boolean },
  wss: WebSocketServer,
  describe: (request: IncomingMessage) => { ip: string | null; userAgent: string | null; traceparent: string | undefined },
  initialState: () => State,
) {
  const server = makeServer(options);
  const isProd = options.isProd;
  wss.options.handleProtocols = handleProtocols;
  const internalError = (error: unknown) =>
    isProd ? 'Internal server error' : closeReason(error instanceof Error ? error.message : String(error), 'Internal server error');

  wss.once('error', (error) => {
    console.error('Internal error emitted on the WebSocket server. Please check your implementation.', error);
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, internalError(error));
  });

  /** Sockets pinged whose pong has not come back yet. */
  const awaitingPong = new Set<WebSocket>();
  function onPong(this: WebSocket) {
    awaitingPong.delete(this);
  }
  const keepAlive = setInterval(() => {
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      if (awaitingPong.has(socket)) {
        awaitingPong.delete(socket);
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, KEEP_ALIVE_MS);
  keepAlive.unref();

  wss.on('connection', (socket, request) => {
    socket.once('error', (error) => {
      console.error('Internal error emitted on a WebSocket socket. Please check your implementation.', error);
      socket.close(CloseCode.InternalServerError, internalError(error));
    });
    socket.on('pong', onPong);
    const extra: ConnectionExtra<State> = { socket, ...describe(request), state: initialState() };
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        // Not an async listener: a subscription's handling stays pending while it lives, and an
        // awaiting listener would keep a suspended frame per subscription for nothing.
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((error: unknown) => {
              console.error('Internal error occurred during message handling. Please check your implementation.', error);
              socket.close(CloseCode.InternalServerError, internalError(error));
            });
          }),
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      awaitingPong.delete(socket);
      if (!isProd && code === CloseCode.SubprotocolNotAcceptable && socket.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL) {
        console.warn(`Client provided the unsupported and deprecated subprotocol "${socket.protocol}".`);
      }
      void closed(code, String(reason));
    });
  });

  return {
    /** Closes every socket (which completes their subscriptions) and the server. */
    async dispose(): Promise<void> {
      clearInterval(keepAlive);
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A close reason fits in 123 bytes; a longer one is replaced. */
function closeReason(reason: string, whenTooLong: string): string {
  return Buffer.byteLength(reason) < 124 ? reason : whenTooLong;
}
