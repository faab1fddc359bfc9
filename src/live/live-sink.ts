import type { GraphQLFormattedError } from 'graphql';
import type { HeraldCloseCode } from './close-codes';

/**
 * Where one live subscription's messages go: what a transport adapter gives the core for each
 * subscription (ws/next-frames.ts over WebSocket, sse/sse-sink.ts over Server-Sent Events). The
 * core writes bytes rendered once per group; the adapter frames them with the subscription's id.
 */
export interface LiveSink {
  /** Sends one `next` message whose payload is `payload` (a JSON execution result, as bytes). */
  write(payload: Buffer): void;
  /** Sends a `next` message per payload, in order, handed to the operating system in one write. */
  writeAll(payloads: readonly Buffer[]): void;
  /** Bytes written that the client has not taken yet (the socket's buffer, not the kernel's). */
  readonly bufferedAmount: number;
  /**
   * Ends the subscription: a last `next` carrying `errors` when given (access revoked: FORBIDDEN),
   * then `complete`. The transport forgets the operation; the connection stays.
   */
  end(errors?: readonly GraphQLFormattedError[]): void;
  /** Ends the connection the subscription runs on (its consumer is too slow): `code` from the one table. */
  close(code: HeraldCloseCode, reason: string): void;
}
