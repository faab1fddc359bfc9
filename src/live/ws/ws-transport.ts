import type { IncomingMessage } from 'node:http';
import { DEPRECATED_GRAPHQL_WS_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols } from 'graphql-ws';
import type { Logger } from '../../logger';
import { HeraldCloseCode } from '../close-codes';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { WsConnection } from './ws-connection';
import { endOperations, handleMessage, type ProtocolHooks } from './ws-protocol';

/** Milliseconds between the shared sweeps: the connection_init wait is checked this often. */
const SWEEP_MS = 500;
/** A socket that sends no connection_init within this many milliseconds is closed with 4408 (graphql-ws's default). */
const CONNECTION_INIT_WAIT_MS = 3_000;
/** Milliseconds between pings; a socket that has not answered the previous ping is terminated. */
const KEEP_ALIVE_MS = 12_000;

/** What a connection keeps of its upgrade request. */
export type DescribeRequest = (request: IncomingMessage) => { ip: string | null; userAgent: string | null; traceparent: string | undefined };

/**
 * The server side of graphql-transport-ws on a `ws` server. Herald has its own instead of
 * graphql-ws's core (`makeServer`) for memory per connection: the core kept about 17 KiB per
 * subscribed connection (closures, per-operation arguments and contexts, an interval and a timeout
 * per socket), several times a bare `ws` connection. Here a connection is one WsConnection, every
 * socket shares the same listener functions, and one sweep timer serves the connection_init wait
 * and the keep-alive of all sockets. graphql-ws's own helpers (parseMessage, stringifyMessage, its
 * close codes and subprotocol negotiation) keep the messages and codes conformant.
 */
export function serveGraphQLWs(
  options: { isProd: boolean; hooks: ProtocolHooks; describe: DescribeRequest; logger: Logger },
  wss: WebSocketServer,
) {
  const { isProd, hooks, logger } = options;
  const connections = new Map<WebSocket, WsConnection>();
  /** Connections still waiting for connection_init. */
  const uninitialised = new Set<WsConnection>();
  /** Sockets pinged whose pong has not come back yet. */
  const awaitingPong = new Set<WebSocket>();
  wss.options.handleProtocols = handleProtocols;

  const internalError = (error: unknown) =>
    isProd ? 'Internal server error' : closeReason(error instanceof Error ? error.message : String(error), 'Internal server error');

  wss.once('error', (error) => {
    // `ws` relays its HTTP server's errors; one before the server listens (a port in use) is the
    // start-up's to report, in its one fatal line.
    if (!wss.options.server?.listening) return;
    logger.error({ err: error }, 'WebSocket server error; closing its sockets');
    for (const client of wss.clients) client.close(HeraldCloseCode.InternalServerError, internalError(error));
  });

  // Listeners shared by every socket (`this` is the socket): no closure per connection.
  function onMessage(this: WebSocket, data: RawData): void {
    const connection = connections.get(this);
    if (!connection) return;
    handleMessage(connection, String(data), hooks).catch((error: unknown) => {
      logger.error({ err: error }, 'internal error while handling a WebSocket message');
      connection.close(HeraldCloseCode.InternalServerError, internalError(error));
    });
  }
  function onPong(this: WebSocket): void {
    awaitingPong.delete(this);
  }
  function onError(this: WebSocket, error: Error & { code?: string }): void {
    // ws emits a socket's error once and has closed the socket already with the code that fits
    // (1009 for a message over WS_MAX_PAYLOAD, 1002 for a broken frame): the client's doing, so a
    // line without a stack. The close below only acts on a socket ws left open.
    logger.warn({ code: error.code, reason: error.message }, 'WebSocket closed after a socket error');
    this.close(HeraldCloseCode.InternalServerError, internalError(error));
  }
  function onClose(this: WebSocket, code: number): void {
    const connection = connections.get(this);
    if (!connection) return;
    connections.delete(this);
    uninitialised.delete(connection);
    awaitingPong.delete(this);
    connection.closed = true;
    if (!isProd && code === HeraldCloseCode.SubprotocolNotAcceptable && this.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL) {
      logger.warn(`Client provided the unsupported and deprecated subprotocol "${this.protocol}".`);
    }
    endOperations(connection, logger);
    hooks.onClose(connection);
  }

  wss.on('connection', (socket, request) => {
    const { ip, userAgent, traceparent } = options.describe(request);
    const connection = new WsConnection(socket, Date.now(), ip, userAgent, traceparent);
    connections.set(socket, connection);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
      return socket.close(HeraldCloseCode.SubprotocolNotAcceptable, 'Subprotocol not acceptable');
    }
    socket.on('message', onMessage);
    socket.on('pong', onPong);
    uninitialised.add(connection);
  });

  let sweeps = 0;
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const connection of uninitialised) {
      if (connection.initReceived) {
        uninitialised.delete(connection);
        continue;
      }
      if (now - connection.openedAt < CONNECTION_INIT_WAIT_MS) continue;
      uninitialised.delete(connection);
      connection.close(HeraldCloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
    }
    if (++sweeps % (KEEP_ALIVE_MS / SWEEP_MS) === 0) keepAlive();
  }, SWEEP_MS);
  sweep.unref();

  function keepAlive(): void {
    for (const socket of connections.keys()) {
      if (socket.readyState !== socket.OPEN) continue;
      if (awaitingPong.has(socket)) {
        awaitingPong.delete(socket);
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }

  return {
    /** Closes every socket (which ends their operations) and the server. */
    async dispose(): Promise<void> {
      clearInterval(sweep);
      for (const client of wss.clients) client.close(HeraldCloseCode.GoingAway, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A close reason fits in 123 bytes; a longer one is replaced. */
function closeReason(reason: string, whenTooLong: string): string {
  return Buffer.byteLength(reason) < 124 ? reason : whenTooLong;
}
