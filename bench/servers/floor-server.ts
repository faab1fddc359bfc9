import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { openFilesLimit, serveParent, statsAfter } from '../support/bench-child';
import { publishPaced, referenceEvent, type PublishRequest } from './event-source';
import type { FanOutServerReady, ServerStats } from './server-contract';

/**
 * The floor of the fan-out bench (a child process): a plain `ws` server that serialises each event
 * once, as the frame a graphql-ws subscriber would receive, and sends that string to every open
 * connection. No protocol, no authentication, no per-subscriber work: what delivery costs at least.
 */
async function main(): Promise<void> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const tenantId = randomUUID();

  const broadcast = (key: string) => {
    const frame = JSON.stringify({ id: '1', type: 'next', payload: { data: { tenantEvents: referenceEvent(tenantId, key) } } });
    for (const socket of wss.clients) socket.send(frame);
  };

  const { port } = wss.address() as AddressInfo;
  const ready: FanOutServerReady = { url: `ws://127.0.0.1:${port}/`, protocol: 'plain', fdLimit: openFilesLimit() };
  serveParent(
    ready,
    {
      setup: () => ({ token: null, tenantId }),
      publish: (request: PublishRequest) => publishPaced(request, 'called', broadcast),
      stats: async (body: { gc?: boolean }): Promise<ServerStats> => ({ ...(await statsAfter(body)), connections: wss.clients.size }),
    },
    () => new Promise<void>((resolve) => wss.close(() => resolve())),
  );
}

void main();
