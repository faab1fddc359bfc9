import WebSocket from 'ws';
import type { LiveConnection } from '../subscriptions/live-events';
import type { FrameOutput } from '../subscriptions/live-subscription';

const TEXT = { binary: false };
const CLOSING_BRACE = 0x7d; // '}'

/**
 * The `next` messages of one operation written straight to its socket: the payload bytes are
 * rendered once for a whole group, and only the head with the operation's id is its own. The
 * message is the one graphql-ws would send: `{"id":…,"type":"next","payload":…}`, a text frame.
 * It is also the operation's LiveConnection (`output` is itself): one small object per live
 * subscription rather than an object and closures.
 */
export class NextFrames implements FrameOutput, LiveConnection {
  /**
   * The message's head as text, encoded into each frame: a Buffer per subscription would cost
   * ~280 B (the view, its ArrayBuffer and backing store), and a slice of Node's shared pool would
   * keep a whole 8 KiB pool chunk alive; writing 40 ASCII bytes per message costs next to nothing.
   */
  private readonly head: string;

  constructor(
    private readonly socket: WebSocket,
    id: string,
  ) {
    this.head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  }

  write(payload: Buffer): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const headLength = Buffer.byteLength(this.head);
    const frame = Buffer.allocUnsafe(headLength + payload.length + 1);
    frame.write(this.head, 0);
    payload.copy(frame, headLength);
    frame[frame.length - 1] = CLOSING_BRACE;
    this.socket.send(frame, TEXT);
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
