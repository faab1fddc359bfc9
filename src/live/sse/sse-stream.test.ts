import type { ServerResponse } from 'node:http';
import { HeraldCloseCode } from '../close-codes';
import { SseStream } from './sse-stream';

/** A response stand-in that records what is written and how it ended. */
function fakeResponse() {
  const response = {
    chunks: [] as string[],
    ended: false,
    destroyed: false,
    writableLength: 0,
    socket: { writableLength: 0 },
    write(chunk: Buffer | string) {
      this.chunks.push(chunk.toString());
      return true;
    },
    end(chunk?: string) {
      if (chunk) this.chunks.push(chunk);
      this.ended = true;
    },
    destroy() {
      this.destroyed = true;
    },
  };
  return response;
}

const viewer = { userId: 'u', sessionId: 's', email: 'e', emailVerified: true, isPlatformAdmin: false, tokenExpiresAt: 0 };

describe('SseStream', () => {
  it('writes each payload as one `next` event, as graphql-sse prints it', () => {
    const response = fakeResponse();
    const stream = new SseStream(response as unknown as ServerResponse, viewer, () => undefined);
    stream.write(Buffer.from('{"data":{"n":1}}'));
    stream.keepAlive();
    expect(response.chunks).toEqual(['event: next\ndata: {"data":{"n":1}}\n\n', ':\n\n']);
  });

  it('ends with the errors as a last `next`, then `complete`; once', () => {
    const response = fakeResponse();
    const over = jest.fn();
    const stream = new SseStream(response as unknown as ServerResponse, viewer, over);
    stream.end([{ message: 'gone', extensions: { code: 'FORBIDDEN' } }]);
    stream.end();
    stream.write(Buffer.from('{}'));
    expect(response.chunks).toEqual([
      'event: next\ndata: {"errors":[{"message":"gone","extensions":{"code":"FORBIDDEN"}}]}\n\n',
      'event: complete\ndata:\n\n',
    ]);
    expect(response.ended).toBe(true);
    expect(over).toHaveBeenCalledTimes(1);
  });

  it('a close (too slow, token expired, session ended) drops the connection without `complete`, so the client retries', () => {
    const response = fakeResponse();
    const over = jest.fn();
    const stream = new SseStream(response as unknown as ServerResponse, viewer, over);
    response.writableLength = 10;
    response.socket.writableLength = 5;
    expect(stream.bufferedAmount).toBe(15);
    stream.close(HeraldCloseCode.SlowConsumer, 'Too slow');
    expect(response.destroyed).toBe(true);
    expect(response.chunks).toEqual([]);
    expect(over).toHaveBeenCalledTimes(1);
    stream.gone();
    expect(over).toHaveBeenCalledTimes(1);
  });
});
