import WebSocket from 'ws';
import { within } from './wait';

/** A message of the graphql-transport-ws protocol, as the server sent it. */
export interface ProtocolMessage {
  type: string;
  id?: string;
  payload?: any;
}

export interface RawSocket {
  socket: WebSocket;
  /** Every message received so far, parsed. */
  messages: ProtocolMessage[];
  /** Settles with the close code and reason when the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  /** Sends an object as JSON, or a string as it is. */
  send(message: object | string): void;
  /** The first message (past or future) that matches, within `timeoutMs`. */
  waitFor(matches: (message: ProtocolMessage) => boolean, what: string, timeoutMs?: number): Promise<ProtocolMessage>;
  /** Sends connection_init with the token and waits for connection_ack. */
  init(token: string | null): Promise<void>;
  /** Sends subscribe; the caller waits for what it expects. */
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  close(): void;
}

/**
 * A bare `ws` socket that speaks graphql-transport-ws by hand, so tests can send what a
 * well-behaved client never would (out-of-order, duplicate, malformed, oversized messages).
 */
export async function openRawSocket(baseUrl: string): Promise<RawSocket> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: ProtocolMessage[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    try {
      messages.push(JSON.parse(String(data)));
    } catch {
      messages.push({ type: '(not JSON)', payload: String(data) });
    }
    for (const waiter of waiters) waiter();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const waiter of waiters) waiter();
    }),
  );
  socket.on('error', () => undefined); // the close event is what tests look at
  await within(new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  }), 10_000, 'the WebSocket to open');

  const raw: RawSocket = {
    socket,
    messages,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    waitFor(matches, what, timeoutMs = 10_000) {
      const seen = messages.find(matches);
      if (seen) return Promise.resolve(seen);
      let check!: () => void;
      const found = new Promise<ProtocolMessage>((resolve, reject) => {
        check = () => {
          const message = messages.find(matches);
          if (message) resolve(message);
          else if (socket.readyState === WebSocket.CLOSED) reject(new Error(`the socket closed before ${what}`));
        };
        waiters.add(check);
      });
      return within(found, timeoutMs, what).finally(() => waiters.delete(check));
    },
    async init(token) {
      raw.send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
      await raw.waitFor((message) => message.type === 'connection_ack', 'connection_ack');
    },
    subscribe: (id, query, variables = {}) => raw.send({ type: 'subscribe', id, payload: { query, variables } }),
    close: () => socket.close(),
  };
  return raw;
}

/** The protocol's answer to one operation: its first `next` or `error` message. */
export function firstAnswer(raw: RawSocket, id: string): Promise<ProtocolMessage> {
  return raw.waitFor((message) => message.id === id && ['next', 'error'].includes(message.type), `an answer to ${id}`);
}
