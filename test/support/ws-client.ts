import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface LiveRecording {
  /** Each `next` payload received, in order. */
  results: { data?: any; errors?: any[] }[];
  /** Set when the server completed the subscription. */
  completed: boolean;
  error: unknown;
}

/**
 * A real graphql-ws client over a real WebSocket, recording what arrives. `closed` resolves with
 * the close event's code and reason.
 */
export function connect(baseUrl: string, token: string | null, options: { lazy?: boolean } = {}) {
  let resolveClosed: (value: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
  let resolveConnected: () => void;
  const connected = new Promise<void>((resolve) => (resolveConnected = resolve));
  const client: Client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: options.lazy ?? false,
    // `closed` reports how the connection ended; graphql-ws would also print it to the console.
    onNonLazyError: () => undefined,
    on: {
      connected: () => resolveConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        resolveClosed({ code, reason: String(reason) });
      },
    },
  });

  return {
    client,
    closed,
    connected,
    subscribe(query: string, variables: Record<string, unknown> = {}): LiveRecording & { stop: () => void } {
      const recording: LiveRecording = { results: [], completed: false, error: undefined };
      const stop = client.subscribe(
        { query, variables },
        {
          next: (result) => recording.results.push(result as LiveRecording['results'][number]),
          error: (error) => (recording.error = error),
          complete: () => (recording.completed = true),
        },
      );
      return Object.assign(recording, { stop });
    },
    dispose: () => client.dispose(),
  };
}

export const TENANT_EVENTS = `subscription($tenantId: ID!, $names: [String!], $after: String) {
  tenantEvents(tenantId: $tenantId, names: $names, after: $after) { id seq name tenantId actorId payload }
}`;
export const SECURITY_EVENTS = `subscription($tenantId: ID, $after: String) {
  securityEvents(tenantId: $tenantId, after: $after) { id seq name actorId payload }
}`;
