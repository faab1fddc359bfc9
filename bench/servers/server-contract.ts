import type { ProcessStats } from '../support/bench-child';

/**
 * What each fan-out server process (bench/servers/*-server.ts) offers the bench, whatever it is:
 * Herald, the floor or the recipe. Requests (see serveParent):
 * - `setup` → FanOutTarget: who subscribes to what;
 * - `publish` PublishRequest → Float64Array: when each event existed (see publishPaced);
 * - `stats` { gc?: boolean } → ServerStats.
 */
export interface FanOutServerReady {
  /** WebSocket URL subscribers connect to. */
  url: string;
  /** `graphql-ws`: graphql-transport-ws with connection_init and subscribe; `plain`: frames arrive on open. */
  protocol: 'graphql-ws' | 'plain' | 'sse';
  /** Herald: where graphql-sse's distinct-connections streams are served (`/graphql/stream`). */
  sseUrl?: string;
  /** The process's soft limit of open files. */
  fdLimit: number;
}

export interface FanOutTarget {
  /** Access token for connection_init, or null where there is no authentication. */
  token: string | null;
  tenantId: string;
}

export interface ServerStats extends ProcessStats {
  /** Open WebSocket connections the server counts (Herald: authenticated ones). */
  connections: number;
  /** Live subscriptions, where the server counts them. */
  subscriptions?: number;
}
