import WebSocket from 'ws';
import type { LiveConnection } from '../subscriptions/live-events';
import type { FrameOutput } from '../subscriptions/live-subscription';

const TEXT = { binary: false };
const END = Buffer.from('}');

/**
 * The `next` messages of one operation written straight to its socket: the payload bytes are
 * rendered once for a whole group, and only the head with the operation's id is its own. The
 * message is the one graphql-ws would send: `{"id":…,"type":"next","payload":…}`, a text frame.
 * It is also the operation's LiveConnection (`output` is itself): one small object per live
 * subscription rather than an object and closures.
 */
export class NextFrames implements FrameOutput, LiveConnection {
  private readonly head: Buffer;

  constructor(
    private readonly socket: WebSocket,
    id: string,
  ) {
    // A buffer of its own, not a slice of Node's shared 8 KiB pool: a long-lived slice keeps its
    // whole pool chunk alive, and heads allocated between other work pinned ~3 KiB per subscriber.
    const head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    this.head = Buffer.allocUnsafeSlow(Buffer.byteLength(head));
    this.head.write(head);
  }

  write(payload: Buffer): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(Buffer.concat([this.head, payload, END]), TEXT);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get output(): FrameOutput {
    return this;
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}
