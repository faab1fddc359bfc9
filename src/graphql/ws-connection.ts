import type { ExecutionResult } from 'graphql';
import WebSocket from 'ws';
import type { Viewer } from '../services/request-context';

/**
 * A subscription's results as the protocol server pulls them; `return()` ends it at once. With
 * `park`, a source that has nothing to yield for a long time (a live subscription) is not pulled:
 * `park(wake)` returns true and calls `wake` once `next()` has something to do.
 */
export type OperationResults = AsyncIterator<ExecutionResult> & {
  return(): Promise<IteratorResult<ExecutionResult>>;
  park?(wake: () => void): boolean;
};

/**
 * All that Herald keeps per WebSocket connection: the socket, what it needs of the upgrade request
 * (copied, so the request is not retained), who is connected, and the operations in flight. A
 * plain instance with no closures: the socket's listeners and the timers are shared by all
 * connections (ws-transport.ts).
 */
export class WsConnection {
  /** Who is connected, once connection_init was accepted. */
  viewer: Viewer | null = null;
  initReceived = false;
  acknowledged = false;
  closed = false;
  /**
   * Operations by id: null while one is prepared or executed (query, mutation), its results once it
   * is a subscription. An id is registered from `subscribe` until the operation ends.
   */
  readonly operations = new Map<string, OperationResults | null>();

  constructor(
    readonly socket: WebSocket,
    /** Date.now() when the socket opened, for the connection_init wait. */
    readonly openedAt: number,
    readonly ip: string | null,
    readonly userAgent: string | null,
    readonly traceparent: string | undefined,
  ) {}

  /** Sends a protocol message if the socket is still open (a closing socket drops it, as graphql-ws). */
  send(message: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}
