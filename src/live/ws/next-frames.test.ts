import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { HeraldCloseCode } from '../close-codes';
import { NextFrames } from './next-frames';
import { canCork, corked } from './socket-cork';
import { WsConnection } from './ws-connection';

/** A connection on a socket stand-in that records what is sent, and how it was closed. */
function fakeConnection(readyState: number = WebSocket.OPEN) {
  const sent: { data: string; binary: boolean | undefined }[] = [];
  const closes: { code: number; reason: string }[] = [];
  const socket = {
    readyState,
    bufferedAmount: 0,
    send: (data: Buffer | string, options?: { binary: boolean }) => sent.push({ data: data.toString(), binary: options?.binary }),
    close: (code: number, reason: string) => closes.push({ code, reason }),
  };
  const connection = new WsConnection(socket as unknown as WebSocket, Date.now(), null, null, undefined);
  return { connection, sent, closes };
}

/** Resolves once `check` holds (a few seconds at most). */
async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('NextFrames', () => {
  it('writes the `next` message graphql-ws would send, as a text frame, with the id escaped', () => {
    const { connection, sent } = fakeConnection();
    const payload = Buffer.from('{"data":{"tenantEvents":{"seq":"7","name":"é"}}}');
    new NextFrames(connection, 'sub "1" ü').write(payload);
    expect(sent).toHaveLength(1);
    expect(sent[0].binary).toBe(false);
    expect(JSON.parse(sent[0].data)).toEqual({ id: 'sub "1" ü', type: 'next', payload: JSON.parse(payload.toString()) });
  });

  it('writes several payloads as several `next` messages, corked into one write on a real ws socket', async () => {
    const { connection, sent } = fakeConnection();
    new NextFrames(connection, '1').writeAll([Buffer.from('{"n":1}'), Buffer.from('{"n":2}')]);
    expect(sent.map((m) => JSON.parse(m.data).payload)).toEqual([{ n: 1 }, { n: 2 }]);

    // socket-cork.ts relies on ws keeping its net.Socket as `_socket`: fail here if it moves.
    const server = new WebSocketServer({ port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
    const [accepted] = (await once(server, 'connection')) as [WebSocket];
    expect(canCork(accepted)).toBe(true);
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));
    corked(accepted, () => {
      accepted.send('a');
      accepted.send('b');
    });
    await waitUntil(() => received.length === 2);
    expect(received).toEqual(['a', 'b']);
    client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('writes nothing to a socket that is not open', () => {
    const { connection, sent } = fakeConnection(WebSocket.CLOSING);
    new NextFrames(connection, '1').write(Buffer.from('{}'));
    expect(sent).toEqual([]);
  });

  it('ends with the errors as a last `next`, then `complete`, and forgets the operation', () => {
    const { connection, sent } = fakeConnection();
    connection.operations.set('1', null);
    const frames = new NextFrames(connection, '1');
    frames.end([{ message: 'gone', extensions: { code: 'FORBIDDEN' } }]);
    expect(sent.map((m) => JSON.parse(m.data))).toEqual([
      { id: '1', type: 'next', payload: { errors: [{ message: 'gone', extensions: { code: 'FORBIDDEN' } }] } },
      { id: '1', type: 'complete' },
    ]);
    expect(connection.operations.has('1')).toBe(false);
    frames.end(); // once only: the operation is gone
    expect(sent).toHaveLength(2);
  });

  it('sends nothing at its end when the client completed the operation first', () => {
    const { connection, sent } = fakeConnection();
    new NextFrames(connection, '1').end([{ message: 'gone' }]);
    expect(sent).toEqual([]);
  });

  it('closes the connection with the code it is given (a slow consumer)', () => {
    const { connection, closes } = fakeConnection();
    new NextFrames(connection, '1').close(HeraldCloseCode.SlowConsumer, 'Too slow');
    expect(closes).toEqual([{ code: 4601, reason: 'Too slow' }]);
  });
});
