import http from 'node:http';
import WebSocket from 'ws';
import { parseEventKey } from '../servers/event-source';
import { openFilesLimit, processStats, serveParent, wallClockMs } from './bench-child';

/**
 * A load client of the fan-out bench (a child process; the bench runs several). It holds WebSocket
 * subscribers to one or more servers, each set under a label, and records when each subscriber
 * received each event of the run being measured. It speaks graphql-transport-ws by hand (init,
 * subscribe, next) rather than through graphql-ws's client, so that a subscriber costs the client
 * little: a socket, a JSON.parse per message and a slot in an array.
 */

export interface ConnectRequest {
  label: string;
  url: string;
  protocol: 'graphql-ws' | 'plain' | 'sse';
  token: string | null;
  query: string;
  variables: Record<string, unknown>;
  /** Subscribers to add to the label's set. */
  count: number;
}

export interface ConnectResult {
  opened: number;
  failed: number;
  firstError: string | null;
}

export interface Progress {
  /** Events of the armed run received (first receipt per subscriber and event). */
  delivered: number;
  /** Subscribers that received at least one event of the armed run. */
  reached: number;
  /** Subscribers of the label whose socket closed since they connected. */
  closed: number;
}

export interface Collected extends Progress {
  /** Receipt minus existence time, ms, one per delivered event. */
  latencies: Float64Array;
  duplicates: number;
  /** Close code and reason → how many sockets closed with it. */
  closeReasons: Record<string, number>;
}

interface Subscriber {
  /** Whether it is still connected. */
  isOpen(): boolean;
  /** Closes it (the bench's doing) and resolves once it is closed. */
  close(): Promise<void>;
  index: number;
  /** Closed by the bench (fewer subscribers for the next measurement), not by the server. */
  dropped?: boolean;
}

interface Armed {
  run: number;
  events: number;
  received: Float64Array;
  reachedFlags: Uint8Array;
  delivered: number;
  reached: number;
  duplicates: number;
}

class SubscriberSet {
  readonly subscribers: Subscriber[] = [];
  /** Slots handed out so far: a subscriber's index is its slot in the armed run's arrays. */
  slots = 0;
  armed: Armed | null = null;
  closed = 0;
  closeReasons: Record<string, number> = {};

  record(subscriber: Subscriber, message: { type: string; payload?: any }, at = wallClockMs()): void {
    if (message.type === 'connection_ack' || message.type === 'pong' || message.type === 'ping') return;
    if (message.type !== 'next') {
      this.note(`message ${message.type}: ${JSON.stringify(message.payload ?? null).slice(0, 200)}`);
      return;
    }
    const key = parseEventKey(message.payload?.data?.tenantEvents?.payload?.tenantId);
    const armed = this.armed;
    if (!key || !armed || key.run !== armed.run || key.index >= armed.events) return;
    const slot = subscriber.index * armed.events + key.index;
    if (!Number.isNaN(armed.received[slot])) {
      armed.duplicates++;
      return;
    }
    armed.received[slot] = at;
    armed.delivered++;
    if (!armed.reachedFlags[subscriber.index]) {
      armed.reachedFlags[subscriber.index] = 1;
      armed.reached++;
    }
  }

  note(reason: string): void {
    this.closeReasons[reason] = (this.closeReasons[reason] ?? 0) + 1;
  }

  progress(): Progress {
    return { delivered: this.armed?.delivered ?? 0, reached: this.armed?.reached ?? 0, closed: this.closed };
  }
}

const sets = new Map<string, SubscriberSet>();
const setOf = (label: string) => sets.get(label) ?? sets.set(label, new SubscriberSet()).get(label)!;
/** Handshakes in flight at once per client process: enough to connect thousands in seconds, few enough not to stampede. */
const CONNECTING_AT_ONCE = 50;

/** Opens one subscriber; resolves once it is subscribed (graphql-ws), open (plain) or streaming (sse). */
function openSubscriber(set: SubscriberSet, request: ConnectRequest, index: number): Promise<void> {
  if (request.protocol === 'sse') return openSseSubscriber(set, request, index);
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(request.url, request.protocol === 'graphql-ws' ? 'graphql-transport-ws' : undefined, {
      perMessageDeflate: false,
    });
    const subscriber: Subscriber = {
      index,
      isOpen: () => socket.readyState === WebSocket.OPEN,
      close: () =>
        new Promise<void>((closed) => {
          const timer = setTimeout(() => socket.terminate(), 5_000);
          socket.once('close', () => {
            clearTimeout(timer);
            closed();
          });
          socket.close(1000, 'bench done');
        }),
    };
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve();
    };
    socket.on('open', () => {
      if (request.protocol === 'plain') {
        set.subscribers.push(subscriber);
        return settle();
      }
      socket.send(JSON.stringify({ type: 'connection_init', payload: request.token ? { authorization: `Bearer ${request.token}` } : {} }));
    });
    socket.on('message', (data) => {
      if (!settled && request.protocol === 'graphql-ws') {
        const message = JSON.parse(data.toString());
        if (message.type !== 'connection_ack') return settle(new Error(`expected connection_ack, got ${data.toString().slice(0, 200)}`));
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: request.query, variables: request.variables } }));
        set.subscribers.push(subscriber);
        return settle();
      }
      const message = JSON.parse(data.toString());
      if (message.type === 'ping') socket.send('{"type":"pong"}');
      set.record(subscriber, message);
    });
    socket.on('error', (error) => settle(error));
    socket.on('close', (code, reason) => {
      if (!settled) return settle(new Error(`closed while connecting: ${code} ${reason.toString()}`));
      if (subscriber.dropped) return;
      set.closed++;
      set.note(`closed ${code} ${reason.toString()}`.trim());
    });
  });
}

/**
 * One subscriber over Server-Sent Events (graphql-sse's distinct connections mode, by hand): a POST
 * to /graphql/stream on a connection of its own, its `next` events parsed as they arrive.
 */
function openSseSubscriber(set: SubscriberSet, request: ConnectRequest, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: request.query, variables: request.variables });
    let open = false;
    let subscriber: Subscriber | null = null;
    const req = http.request(request.url, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        accept: 'text/event-stream',
        ...(request.token ? { authorization: `Bearer ${request.token}` } : {}),
      },
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`stream refused: ${res.statusCode}`));
      }
      open = true;
      const closed = new Promise<void>((resolveClosed) => res.once('close', () => resolveClosed()));
      subscriber = {
        index,
        isOpen: () => open,
        close: () => {
          req.destroy();
          return closed;
        },
      };
      set.subscribers.push(subscriber);
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = wallClockMs();
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (block.startsWith('event: next\ndata: ')) set.record(subscriber!, { type: 'next', payload: JSON.parse(block.slice(18)) }, at);
          else if (block.startsWith('event: complete')) set.note('complete');
        }
      });
      res.on('close', () => {
        open = false;
        if (subscriber?.dropped) return;
        set.closed++;
        set.note('stream closed');
      });
      resolve();
    });
    req.on('error', (error) => {
      if (!open) reject(error);
    });
    req.end(body);
  });
}

async function connect(request: ConnectRequest): Promise<ConnectResult> {
  const set = setOf(request.label);
  const first = set.slots;
  set.slots += request.count;
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const worker = async () => {
    while (next < request.count) {
      const index = first + next++;
      try {
        await openSubscriber(set, request, index);
      } catch (error) {
        failed++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECTING_AT_ONCE, request.count) }, worker));
  return { opened: request.count - failed, failed, firstError };
}

function arm({ label, run, events }: { label: string; run: number; events: number }): void {
  const set = setOf(label);
  set.armed = {
    run,
    events,
    received: new Float64Array(set.slots * events).fill(Number.NaN),
    reachedFlags: new Uint8Array(set.slots),
    delivered: 0,
    reached: 0,
    duplicates: 0,
  };
}

function collect({ label, existed }: { label: string; existed: Float64Array }): Collected {
  const set = setOf(label);
  const armed = set.armed;
  if (!armed) throw new Error(`${label}: collect without arm`);
  const latencies = new Float64Array(armed.delivered);
  let n = 0;
  for (let slot = 0; slot < armed.received.length; slot++) {
    // An event whose publication failed has no existence time; if it arrived anyway, it is not counted.
    const latency = armed.received[slot] - existed[slot % armed.events];
    if (!Number.isNaN(latency)) latencies[n++] = latency;
  }
  set.armed = null;
  return {
    delivered: n,
    reached: armed.reached,
    closed: set.closed,
    latencies: latencies.subarray(0, n),
    duplicates: armed.duplicates,
    closeReasons: set.closeReasons,
  };
}

/** Closes the label's subscribers beyond the first `keep` (all of them without `keep`); returns how many it closed. */
async function close({ label, keep = 0 }: { label: string; keep?: number }): Promise<number> {
  const set = setOf(label);
  const open = set.subscribers.filter((subscriber) => subscriber.isOpen());
  const closing = open.slice(keep);
  set.subscribers.splice(0, set.subscribers.length, ...open.slice(0, keep));
  if (keep === 0) sets.delete(label);
  await Promise.all(
    closing.map((subscriber) => {
      subscriber.dropped = true;
      return subscriber.close();
    }),
  );
  return closing.length;
}

serveParent(
  { fdLimit: openFilesLimit() },
  {
    connect,
    arm,
    progress: ({ label }: { label: string }) => setOf(label).progress(),
    collect,
    close,
    stats: () => processStats(),
  },
);
