import WebSocket from 'ws';
import type { Viewer } from '../../services/request-context';

/**
 * Operations of one connection that start at once (authorise, replay, execute: the database work);
 * the others wait for a turn. A client that floods subscribe/complete then costs the database a
 * few starts, not one per message: an operation completed while it waited never starts.
 */
export const STARTS_AT_ONCE = 4;

/** A running subscription as the connection keeps it: `stop()` ends it at once, sending nothing more. */
export interface RunningOperation {
  stop(): void;
}

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
   * Operations by id: null while one is prepared or executed (query, mutation), the running
   * subscription once it started. An id is registered from `subscribe` until the operation ends.
   */
  readonly operations = new Map<string, RunningOperation | null>();
  /** Operations starting now (at most STARTS_AT_ONCE), and those waiting for a turn. */
  private starting = 0;
  private waitingTurns: (() => void)[] | null = null;

  constructor(
    readonly socket: WebSocket,
    /** Date.now() when the socket opened, for the connection_init wait. */
    readonly openedAt: number,
    readonly ip: string | null,
    readonly userAgent: string | null,
    readonly traceparent: string | undefined,
  ) {}

  /** Resolves when this connection may start one more operation; call `endTurn` once it started. */
  takeTurn(): Promise<void> | undefined {
    if (this.starting < STARTS_AT_ONCE) {
      this.starting++;
      return undefined;
    }
    return new Promise((resolve) => (this.waitingTurns ??= []).push(resolve));
  }

  endTurn(): void {
    const next = this.waitingTurns?.shift();
    if (this.waitingTurns?.length === 0) this.waitingTurns = null;
    if (next) next(); // the turn passes on: `starting` stays
    else this.starting--;
  }

  /** Sends a protocol message if the socket is still open (a closing socket drops it, as graphql-ws). */
  send(message: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}
