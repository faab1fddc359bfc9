import type { ServerResponse } from 'node:http';
import type { GraphQLFormattedError } from 'graphql';
import type { Viewer } from '../../services/request-context';
import type { HeraldCloseCode } from '../close-codes';
import type { LiveSink } from '../live-sink';
import type { ViewerConnection } from '../viewer-connections';

const NEXT_HEAD = Buffer.from('event: next\ndata: ');
const MESSAGE_END = Buffer.from('\n\n');
const COMPLETE = 'event: complete\ndata:\n\n';
/** An SSE comment: keeps proxies from closing a quiet stream; clients ignore it. */
const KEEP_ALIVE = ':\n\n';

/**
 * One subscription over Server-Sent Events in graphql-sse's "distinct connections" mode: the
 * HTTP response is the subscription. It is the subscription's sink (`next` events carry the bytes
 * rendered once per group) and one of the viewer's live connections. `close` drops the
 * connection without `complete`, which graphql-sse's client takes as a network error and
 * retries (a consumer too slow, an expired token, an ended session); `end` completes it.
 */
export class SseStream implements LiveSink, ViewerConnection {
  private over = false;

  constructor(
    private readonly response: ServerResponse,
    readonly viewer: Viewer,
    /** Told once when the stream is over, whichever way. */
    private readonly onOver: (stream: SseStream) => void,
  ) {}

  get isOver(): boolean {
    return this.over;
  }

  write(payload: Buffer): void {
    if (this.over) return;
    const frame = Buffer.allocUnsafe(NEXT_HEAD.length + payload.length + MESSAGE_END.length);
    NEXT_HEAD.copy(frame, 0);
    payload.copy(frame, NEXT_HEAD.length);
    MESSAGE_END.copy(frame, NEXT_HEAD.length + payload.length);
    this.response.write(frame);
  }

  writeAll(payloads: readonly Buffer[]): void {
    if (this.over) return;
    this.response.cork();
    for (const payload of payloads) this.write(payload);
    this.response.uncork();
  }

  /** One `next` event with a result that is not live (serverTime's, an error). */
  writeResult(result: unknown): void {
    this.write(Buffer.from(JSON.stringify(result)));
  }

  get bufferedAmount(): number {
    // What the response holds plus what its socket has not handed to the kernel yet.
    return this.response.writableLength + (this.response.socket?.writableLength ?? 0);
  }

  keepAlive(): void {
    if (!this.over) this.response.write(KEEP_ALIVE);
  }

  end(errors?: readonly GraphQLFormattedError[]): void {
    if (this.over) return;
    if (errors) this.writeResult({ errors });
    this.response.end(COMPLETE);
    this.finish();
  }

  close(_code: HeraldCloseCode, _reason: string): void {
    if (this.over) return;
    this.response.destroy();
    this.finish();
  }

  /** The client went away. */
  gone(): void {
    this.finish();
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.onOver(this);
  }
}
