import type { GraphQLFormattedError } from 'graphql';
import { MessageType, stringifyMessage } from 'graphql-ws';
import WebSocket from 'ws';
import type { HeraldCloseCode } from '../close-codes';
import type { LiveSink } from '../live-sink';
import { corked } from './socket-cork';
import type { WsConnection } from './ws-connection';

const TEXT = { binary: false };
const CLOSING_BRACE = 0x7d; // '}'

/**
 * A live subscription's sink on a WebSocket: its `next` messages written straight to the socket.
 * The payload bytes are rendered once for a whole group, and only the head with the operation's id
 * is its own. The message is the one graphql-ws would send: `{"id":…,"type":"next","payload":…}`,
 * a text frame. One small object per live subscription.
 */
export class NextFrames implements LiveSink {
  /**
   * The message's head as text, encoded into each frame: a Buffer per subscription would cost
   * ~280 B (the view, its ArrayBuffer and backing store), and a slice of Node's shared pool would
   * keep a whole 8 KiB pool chunk alive; writing 40 ASCII bytes per message costs next to nothing.
   */
  private readonly head: string;

  constructor(
    private readonly connection: WsConnection,
    private readonly id: string,
  ) {
    this.head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  }

  write(payload: Buffer): void {
    const { socket } = this.connection;
    if (socket.readyState !== WebSocket.OPEN) return;
    const headLength = Buffer.byteLength(this.head);
    const frame = Buffer.allocUnsafe(headLength + payload.length + 1);
    frame.write(this.head, 0);
    payload.copy(frame, headLength);
    frame[frame.length - 1] = CLOSING_BRACE;
    socket.send(frame, TEXT);
  }

  writeAll(payloads: readonly Buffer[]): void {
    if (payloads.length === 1) return this.write(payloads[0]);
    corked(this.connection.socket, () => {
      for (const payload of payloads) this.write(payload);
    });
  }

  get bufferedAmount(): number {
    return this.connection.socket.bufferedAmount;
  }

  end(errors?: readonly GraphQLFormattedError[]): void {
    const { connection, id } = this;
    // Completed by the client, or its socket closed: nothing more is sent for it.
    if (!connection.operations.has(id)) return;
    connection.operations.delete(id);
    if (errors) connection.send(stringifyMessage({ id, type: MessageType.Next, payload: { errors } }));
    connection.send(stringifyMessage({ id, type: MessageType.Complete }));
  }

  close(code: HeraldCloseCode, reason: string): void {
    this.connection.close(code, reason);
  }
}
