import WebSocket from 'ws';
import { NextFrames } from './next-frames';

/** A socket stand-in that records what is sent. */
function fakeSocket(readyState: number = WebSocket.OPEN) {
  const sent: { data: Buffer; binary: boolean }[] = [];
  const socket = {
    readyState,
    bufferedAmount: 0,
    send: (data: Buffer, options: { binary: boolean }) => sent.push({ data, binary: options.binary }),
  };
  return { socket: socket as unknown as WebSocket, sent };
}

describe('NextFrames', () => {
  it('writes the `next` message graphql-ws would send, as a text frame, with the id escaped', () => {
    const { socket, sent } = fakeSocket();
    const payload = Buffer.from('{"data":{"tenantEvents":{"seq":"7","name":"é"}}}');
    new NextFrames(socket, 'sub "1" ü').write(payload);
    expect(sent).toHaveLength(1);
    expect(sent[0].binary).toBe(false);
    expect(JSON.parse(sent[0].data.toString())).toEqual({ id: 'sub "1" ü', type: 'next', payload: JSON.parse(payload.toString()) });
  });

  it('writes nothing to a socket that is not open', () => {
    const { socket, sent } = fakeSocket(WebSocket.CLOSING);
    new NextFrames(socket, '1').write(Buffer.from('{}'));
    expect(sent).toEqual([]);
  });
});
