import { EventEmitter } from 'node:events';
import { buildSchema, GraphQLError, parse, type ExecutionArgs } from 'graphql';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../logger';
import { HeraldCloseCode } from '../close-codes';
import type { StartedOperation } from '../live-operation';
import type { ProtocolHooks } from './ws-protocol';
import { STARTS_AT_ONCE } from './ws-connection';
import { serveGraphQLWs } from './ws-transport';

/**
 * The graphql-transport-ws protocol server on fake sockets: every message and close path, the
 * connection_init wait and the keep-alive, with Jest's clock. No network, no database.
 */
const OPEN = 1;
const CLOSED = 3;

class FakeSocket extends EventEmitter {
  readyState = OPEN;
  readonly OPEN = OPEN;
  bufferedAmount = 0;
  readonly sent: any[] = [];
  closedWith: { code: number; reason: string } | null = null;
  pings = 0;
  terminated = false;
  constructor(readonly protocol = 'graphql-transport-ws') {
    super();
  }
  send(data: string | Buffer) {
    this.sent.push(JSON.parse(String(data)));
  }
  close(code: number, reason: string) {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    this.readyState = CLOSED;
    this.emit('close', code);
  }
  ping() {
    this.pings++;
  }
  terminate() {
    this.terminated = true;
    this.readyState = CLOSED;
    this.emit('close', 1006);
  }
  /** The client sends a message. */
  receive(message: object | string) {
    this.emit('message', Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)));
  }
}

class FakeServer extends EventEmitter {
  readonly options: Record<string, unknown> = { server: { listening: true } };
  readonly clients = new Set<FakeSocket>();
  connect(socket = new FakeSocket()): FakeSocket {
    this.clients.add(socket);
    this.emit('connection', socket, { headers: {}, socket: { remoteAddress: '127.0.0.1' } });
    return socket;
  }
  close(callback: (error?: Error) => void) {
    callback();
  }
}

const schema = buildSchema(`type Query { hello: String } type Subscription { ticks: Int }`);
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function serve(overrides: Partial<ProtocolHooks> = {}) {
  const logger = { error: jest.fn(), warn: jest.fn() };
  const stopped: string[] = [];
  const closedConnections: unknown[] = [];
  const hooks: ProtocolHooks = {
    onConnect: async (_connection, params) => params?.token === 'good',
    onClose: (connection) => closedConnections.push(connection),
    onSubscribe: (_connection, _id, payload) => ({ schema, document: parse(payload.query), variableValues: payload.variables }) as ExecutionArgs,
    context: () => ({}),
    subscribe: async (): Promise<StartedOperation> => ({ live: { stop: () => stopped.push('live'), isOver: false } as never }),
    formatResult: (_id, result) => result,
    formatErrors: (_id, errors) => errors.map((error) => ({ message: error.message })),
    ...overrides,
  };
  const wss = new FakeServer();
  const server = serveGraphQLWs({ isProd: true, hooks, logger: logger as unknown as Logger, describe: () => ({ ip: null, userAgent: null, traceparent: undefined }) }, wss as unknown as WebSocketServer);
  return { wss, server, logger, stopped, closedConnections };
}

async function acknowledged(wss: FakeServer): Promise<FakeSocket> {
  const socket = wss.connect();
  socket.receive({ type: 'connection_init', payload: { token: 'good' } });
  await flush();
  expect(socket.sent).toEqual([{ type: 'connection_ack' }]);
  return socket;
}

afterEach(() => jest.useRealTimers());

describe('graphql-transport-ws on fake sockets', () => {
  it('acknowledges a connection_init the hook accepts; 4403 for one it refuses; 4429 for a second one', async () => {
    const { wss } = serve();
    const socket = await acknowledged(wss);
    socket.receive({ type: 'connection_init', payload: { token: 'good' } });
    await flush();
    expect(socket.closedWith).toEqual({ code: HeraldCloseCode.TooManyInitialisationRequests, reason: 'Too many initialisation requests' });
    const refused = wss.connect();
    refused.receive({ type: 'connection_init', payload: { token: 'bad' } });
    await flush();
    expect(refused.closedWith).toEqual({ code: HeraldCloseCode.Forbidden, reason: 'Forbidden' });
  });

  it('answers ping with pong (payload echoed or left out) and ignores pong', async () => {
    const { wss } = serve();
    const socket = wss.connect();
    socket.receive({ type: 'ping', payload: { n: 1 } });
    socket.receive({ type: 'pong' });
    socket.receive({ type: 'ping' });
    await flush();
    expect(socket.sent).toEqual([{ type: 'pong', payload: { n: 1 } }, { type: 'pong' }]);
    expect(socket.closedWith).toBeNull();
  });

  it.each([
    ['text that is not JSON', '{"type":', 'Invalid message received'],
    ['a message of unknown type', { type: 'shout' }, 'Invalid message received'],
    ['a next', { type: 'next', id: '1', payload: {} }, 'Unexpected message of type next received'],
    ['an error', { type: 'error', id: '1', payload: [{ message: 'no' }] }, 'Unexpected message of type error received'],
    ['a connection_ack', { type: 'connection_ack' }, 'Unexpected message of type connection_ack received'],
  ])('closes with 4400 for %s, and logs no error', async (_what, message, reason) => {
    const { wss, logger } = serve();
    const socket = await acknowledged(wss);
    socket.receive(message);
    await flush();
    expect(socket.closedWith).toEqual({ code: HeraldCloseCode.BadRequest, reason });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('closes with 4401 for a subscribe before the acknowledgement, 4409 for an id in use', async () => {
    const { wss } = serve();
    const early = wss.connect();
    early.receive({ type: 'subscribe', id: '1', payload: { query: '{ hello }' } });
    await flush();
    expect(early.closedWith).toEqual({ code: HeraldCloseCode.Unauthorized, reason: 'Unauthorized' });
    const socket = await acknowledged(wss);
    socket.receive({ type: 'subscribe', id: 'same', payload: { query: 'subscription { ticks }' } });
    await flush();
    socket.receive({ type: 'subscribe', id: 'same', payload: { query: 'subscription { ticks }' } });
    await flush();
    expect(socket.closedWith).toEqual({ code: HeraldCloseCode.SubscriberAlreadyExists, reason: 'Subscriber for same already exists' });
  });

  it('runs a query (next, complete), sends an error message for errors the hook returns', async () => {
    const { wss } = serve({
      onSubscribe: (_connection, id, payload) =>
        id === 'bad' ? [new GraphQLError('no such field')] : ({ schema, document: parse(payload.query), rootValue: { hello: 'hi' } } as ExecutionArgs),
    });
    const socket = await acknowledged(wss);
    socket.receive({ type: 'subscribe', id: 'q', payload: { query: '{ hello }' } });
    socket.receive({ type: 'subscribe', id: 'bad', payload: { query: '{ nope }' } });
    await flush();
    await flush();
    expect(socket.sent.slice(1)).toEqual([
      { id: 'bad', type: 'error', payload: [{ message: 'no such field' }] },
      { id: 'q', type: 'next', payload: { data: { hello: 'hi' } } },
      { id: 'q', type: 'complete' },
    ]);
  });

  it('starts at most STARTS_AT_ONCE operations of a connection at once; one completed while it waited for a turn never starts', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<string>((resolve) => (release = () => resolve('hi')));
    const started: string[] = [];
    const { wss } = serve({
      onSubscribe: (_connection, _id, payload) => ({ schema, document: parse(payload.query), rootValue: { hello: () => gate } }) as ExecutionArgs,
      context: (_connection, id) => {
        started.push(id); // called once an operation has its turn and starts
        return {};
      },
    });
    const socket = await acknowledged(wss);
    const FLOOD = 12;
    for (let i = 0; i < FLOOD; i++) {
      socket.receive({ type: 'subscribe', id: `op${i}`, payload: { query: '{ hello }' } });
      socket.receive({ type: 'complete', id: `op${i}` });
    }
    socket.receive({ type: 'subscribe', id: 'after', payload: { query: '{ hello }' } });
    await flush();
    const first = Array.from({ length: STARTS_AT_ONCE }, (_, i) => `op${i}`);
    expect(started).toEqual(first);
    release();
    for (let i = 0; i < 20 && !socket.sent.some((m) => m.id === 'after' && m.type === 'complete'); i++) await flush();
    // Every completed one had its turn before 'after' (turns go in order) and did not start.
    expect(started).toEqual([...first, 'after']);
    expect(socket.sent.filter((m) => m.id !== undefined)).toEqual([
      { id: 'after', type: 'next', payload: { data: { hello: 'hi' } } },
      { id: 'after', type: 'complete' },
    ]);
  });

  it("stops a live subscription on the client's complete, and every one when the socket closes", async () => {
    const { wss, stopped, closedConnections } = serve();
    const socket = await acknowledged(wss);
    socket.receive({ type: 'subscribe', id: 'a', payload: { query: 'subscription { ticks }' } });
    socket.receive({ type: 'subscribe', id: 'b', payload: { query: 'subscription { ticks }' } });
    await flush();
    socket.receive({ type: 'complete', id: 'a' });
    expect(stopped).toEqual(['live']);
    socket.close(1000, 'bye');
    expect(stopped).toEqual(['live', 'live']);
    expect(closedConnections).toHaveLength(1);
    expect(socket.sent.filter((m) => m.type === 'complete')).toEqual([]); // the client's own ending: nothing sent back
  });

  it('closes with 4406 a socket without the subprotocol', () => {
    const { wss } = serve();
    const socket = wss.connect(new FakeSocket('something-else'));
    expect(socket.closedWith).toEqual({ code: HeraldCloseCode.SubprotocolNotAcceptable, reason: 'Subprotocol not acceptable' });
  });

  it('closes with 4500 when a hook fails, and reports it through the logger, not the console', async () => {
    const console = jest.spyOn(globalThis.console, 'error').mockImplementation(() => undefined);
    const { wss, logger } = serve({
      onConnect: async () => {
        throw new Error('database gone');
      },
    });
    const socket = wss.connect();
    socket.receive({ type: 'connection_init', payload: {} });
    await flush();
    expect(socket.closedWith).toEqual({ code: HeraldCloseCode.InternalServerError, reason: 'Internal server error' });
    expect(logger.error).toHaveBeenCalledWith({ err: new Error('database gone') }, 'internal error while handling a WebSocket message');
    expect(console).not.toHaveBeenCalled();
    console.mockRestore();
  });

  it('closes with 4408 a socket that sends no connection_init within 3 s', () => {
    jest.useFakeTimers({ now: 0 });
    const { wss } = serve();
    const socket = wss.connect();
    jest.advanceTimersByTime(2_500);
    expect(socket.closedWith).toBeNull();
    jest.advanceTimersByTime(1_000);
    expect(socket.closedWith).toEqual({ code: HeraldCloseCode.ConnectionInitialisationTimeout, reason: 'Connection initialisation timeout' });
  });

  it('keeps sockets alive: a ping every 12 s; one that did not answer the last ping is terminated', async () => {
    jest.useFakeTimers({ now: 0 });
    const { wss } = serve();
    const answering = wss.connect();
    const silent = wss.connect();
    for (const socket of [answering, silent]) socket.receive({ type: 'connection_init', payload: { token: 'good' } });
    await flush();
    jest.advanceTimersByTime(12_000);
    expect([answering.pings, silent.pings]).toEqual([1, 1]);
    answering.emit('pong');
    jest.advanceTimersByTime(12_000);
    expect(answering.terminated).toBe(false);
    expect(answering.pings).toBe(2);
    expect(silent.terminated).toBe(true);
  });

  it('closes every socket with 1001 when disposed', async () => {
    const { wss, server } = serve();
    const socket = await acknowledged(wss);
    await server.dispose();
    expect(socket.closedWith).toEqual({ code: HeraldCloseCode.GoingAway, reason: 'Going away' });
  });
});
