import WebSocket from 'ws';
import type { FrameOutput } from '../subscriptions/live-subscription';

const TEXT = { binary: false };
const END = Buffer.from('}');

/**
 * The `next` messages of one operation written straight to its socket: the payload bytes are
 * rendered once for a whole group, and only the head with the operation's id is its own. The
 * message is the one graphql-ws would send: `{"id":…,"type":"next","payload":…}`, a text frame.
 */
export function nextFrames(socket: WebSocket, id: string): FrameOutput {
  const head = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  return {
    write(payload) {
      if (socket.readyState === WebSocket.OPEN) socket.send(Buffer.concat([head, payload, END]), TEXT);
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
}
