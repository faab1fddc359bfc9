import type { Viewer } from '../services/request-context';
import { HeraldCloseCode } from './close-codes';

/** A live connection of a signed-in viewer: a WebSocket, or one SSE stream. */
export interface ViewerConnection {
  readonly viewer: Viewer | null;
  close(code: HeraldCloseCode, reason: string): void;
}

/** How often token expiries are checked, ms: one timer for all connections, not one each. */
const EXPIRY_SWEEP_MS = 500;

/**
 * The live connections of this instance by user, whatever their transport: one count against
 * WS_MAX_CONNECTIONS_PER_USER, one place that closes a session's connections when it ends, and
 * one sweep that closes a connection when its access token expires.
 */
export class ViewerConnections {
  private readonly byUser = new Map<string, Set<ViewerConnection>>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly maxPerUser: number) {
    this.sweep = setInterval(() => this.closeExpired(Date.now()), EXPIRY_SWEEP_MS);
    this.sweep.unref();
  }

  /** Counts `connection` under its viewer; false (not counted) when the user has the most allowed. */
  add(connection: ViewerConnection & { readonly viewer: Viewer }): boolean {
    const open = this.byUser.get(connection.viewer.userId) ?? new Set<ViewerConnection>();
    if (open.size >= this.maxPerUser) return false;
    this.byUser.set(connection.viewer.userId, open.add(connection));
    return true;
  }

  /** The close code and reason for a user over the limit. */
  get overLimit(): { code: HeraldCloseCode; reason: string } {
    return { code: HeraldCloseCode.TooManyConnections, reason: `Too many connections: at most ${this.maxPerUser} per user` };
  }

  delete(connection: ViewerConnection): void {
    const userId = connection.viewer?.userId;
    if (userId === undefined) return;
    const open = this.byUser.get(userId);
    open?.delete(connection);
    if (open?.size === 0) this.byUser.delete(userId);
  }

  /** Closes the connections of a session whose access was revoked (logout, refresh token reuse). */
  closeSession(sessionId: string, reason: string): void {
    for (const open of this.byUser.values()) {
      for (const connection of open) {
        if (connection.viewer?.sessionId === sessionId) connection.close(HeraldCloseCode.Forbidden, reason);
      }
    }
  }

  /** Connections counted now. */
  get size(): number {
    let count = 0;
    for (const open of this.byUser.values()) count += open.size;
    return count;
  }

  stop(): void {
    clearInterval(this.sweep);
  }

  private closeExpired(now: number): void {
    for (const open of this.byUser.values()) {
      for (const connection of open) {
        if (connection.viewer!.tokenExpiresAt * 1000 <= now) {
          connection.close(HeraldCloseCode.Forbidden, 'Access token expired; reconnect with a fresh one');
        }
      }
    }
  }
}
