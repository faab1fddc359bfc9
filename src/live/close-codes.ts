import { CloseCode } from 'graphql-ws';

/**
 * Every code Herald closes a WebSocket with, in one table, each with one meaning. The protocol's
 * codes are graphql-ws's own (same numbers, same meaning); Herald's own are 46xx: graphql-ws's
 * codes mirror HTTP statuses (4400, 4403, 4500…) and no HTTP status is 6xx, so none of graphql-ws's
 * can ever collide with them.
 *
 * How graphql-ws 6's client (`createClient`, `shouldRetryConnectOrThrow` in its dist/client.js)
 * treats each: it gives up at once on 4400, 4401, 4406, 4409, 4429, 4500 (and most 1xxx); it
 * retries every other code with `retryAttempts` (5) and its backoff, resending its subscriptions.
 */
export const HeraldCloseCode = {
  /** 1001: the server is stopping (retried: another instance, or this one back, takes it). */
  GoingAway: 1001,
  /** 1009: a message over WS_MAX_PAYLOAD (`ws` closes with it before reading the message). Fatal. */
  MessageTooBig: 1009,
  /** 4400: not JSON, a message of unknown type, malformed, or one only a server sends (next, error). Fatal. */
  BadRequest: CloseCode.BadRequest,
  /** 4401: `subscribe` before the connection was acknowledged. Fatal. */
  Unauthorized: CloseCode.Unauthorized,
  /**
   * 4403: no valid access token in connection_init, the token expired, or its session ended
   * (logout, refresh token reuse). Retried by graphql-ws's client (about 40 s with the defaults):
   * give it `connectionParams` as a function returning a fresh token.
   */
  Forbidden: CloseCode.Forbidden,
  /** 4406: the graphql-transport-ws subprotocol was not offered. Fatal. */
  SubprotocolNotAcceptable: CloseCode.SubprotocolNotAcceptable,
  /** 4408: no connection_init within 3 s. Retried. */
  ConnectionInitialisationTimeout: CloseCode.ConnectionInitialisationTimeout,
  /** 4409: a `subscribe` with an id already in use on the connection. Fatal. */
  SubscriberAlreadyExists: CloseCode.SubscriberAlreadyExists,
  /** 4429: a second connection_init. Fatal. */
  TooManyInitialisationRequests: CloseCode.TooManyInitialisationRequests,
  /** 4500: an internal error of the server. Fatal. */
  InternalServerError: CloseCode.InternalServerError,
  /**
   * 4601 (Herald's): the consumer fell SUBSCRIBER_QUEUE_LIMIT events behind. Retried: the client
   * reconnects and resubscribes, and resumes without a gap (README, "Live events").
   */
  SlowConsumer: 4601,
  /** 4602 (Herald's): the user has WS_MAX_CONNECTIONS_PER_USER connections open here. Retried with backoff. */
  TooManyConnections: 4602,
} as const;

export type HeraldCloseCode = (typeof HeraldCloseCode)[keyof typeof HeraldCloseCode];
