import { createClient, type Client } from 'graphql-ws';
import type { LiveEventFragment, TypedDocumentString } from '../generated/graphql';
import { TenantEventsDocument } from '../generated/graphql';
import { ApiError, apiErrorOf } from './errors';
import type { Session } from './session';

/** Where a stream stands, as the page shows it. */
export type StreamState = 'connecting' | 'catching-up' | 'live' | 'reconnecting' | 'ended';

/** No event for this long after (re)subscribing: the replay is over, the stream is live. */
const QUIET_MS = 400;
const RETRY_MS = [250, 500, 1000, 2000, 4000];

/** Compares two event seqs (decimal strings of any length). */
export function compareSeq(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * One WebSocket to /graphql (graphql-ws) for the tab, with the signed-in user's token in
 * connection_init. It does not retry by itself: graphql-ws would resend the first subscribe
 * payload, with its old cursor, whereas a LiveStream resubscribes after the last event it got.
 */
export function liveClient(session: Session): Client {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  return createClient({
    url,
    lazy: true,
    retryAttempts: 0,
    connectionParams: async () => {
      const token = await session.token();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });
}

export interface TenantStreamOptions {
  tenantId: string;
  names: string[] | null;
  /** Start after this seq ("0": the tenant's whole history). */
  after: string;
  onEvent: (event: LiveEventFragment) => void;
  onState: (state: StreamState, error?: ApiError) => void;
}

/**
 * A tenant's events, live, that survives reconnects without a gap or a duplicate: it remembers the
 * seq of the last event and, when the socket drops (server restart, network), subscribes again
 * after it, with backoff. It reports "catching up" while the replay of stored events runs and
 * "live" once events are current. Returns a stop function.
 */
export function followTenantEvents(client: Client, options: TenantStreamOptions): () => void {
  let last = options.after;
  let stopped = false;
  let failures = 0;
  let unsubscribe: (() => void) | null = null;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let state: StreamState = 'connecting';
  const set = (next: StreamState, error?: ApiError) => {
    if (next === state && !error) return;
    state = next;
    options.onState(next, error);
  };

  const start = () => {
    let startedAt = Date.now();
    set(failures === 0 ? 'connecting' : 'reconnecting');
    const becomeLiveWhenQuiet = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => set('live'), QUIET_MS);
    };
    const off = client.on('connected', () => {
      startedAt = Date.now();
      failures = 0;
      set('catching-up');
      becomeLiveWhenQuiet();
    });
    const dispose = client.subscribe<{ tenantEvents: LiveEventFragment }>(
      { query: (TenantEventsDocument as TypedDocumentString<unknown, unknown>).toString(), variables: { tenantId: options.tenantId, names: options.names, after: last } },
      {
        next: ({ data, errors }) => {
          if (errors?.length) return set('ended', apiErrorOf([...errors], 200));
          const event = data?.tenantEvents;
          if (!event || compareSeq(event.seq, last) <= 0) return;
          last = event.seq;
          options.onEvent(event);
          // An event that happened after we subscribed is live news; an older one is the replay.
          if (Date.parse(event.occurredAt) >= startedAt - 1000) set('live');
          else if (state !== 'live') becomeLiveWhenQuiet();
        },
        error: (error) => {
          off();
          clearTimeout(quiet);
          if (stopped) return;
          if (Array.isArray(error)) return set('ended', apiErrorOf([...error], 200));
          // The socket closed: resubscribe after the last event seen.
          failures += 1;
          set('reconnecting');
          retry = setTimeout(start, RETRY_MS[Math.min(failures - 1, RETRY_MS.length - 1)]);
        },
        complete: () => {
          off();
          if (!stopped) set('ended', new ApiError('The server ended the stream. Reload the page to follow it again.', 'COMPLETE'));
        },
      },
    );
    unsubscribe = () => {
      off();
      dispose();
    };
  };

  start();
  return () => {
    stopped = true;
    clearTimeout(quiet);
    clearTimeout(retry);
    unsubscribe?.();
  };
}
