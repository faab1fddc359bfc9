import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveParent, wallClockMs } from './bench-child';

/**
 * A webhook receiver in a process of its own (the bench's), so its work does not share the
 * Herald process's event loop: answers 204 at once, except under /hang, where it accepts the
 * request and never answers (an endpoint that hangs). It notes when each message (path and
 * webhook-id) first arrived, on the machine's wall clock.
 */
const arrivals: [string, string, number][] = [];
const seen = new Set<string>();
const hanging = new Set<ServerResponse>();
let maxHanging = 0;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const at = wallClockMs();
    const path = req.url ?? '/';
    const id = String(req.headers['webhook-id']);
    if (!seen.has(`${path} ${id}`)) {
      seen.add(`${path} ${id}`);
      arrivals.push([path, id, at]);
    }
    if (path.startsWith('/hang')) {
      hanging.add(res);
      maxHanging = Math.max(maxHanging, hanging.size);
      res.on('close', () => hanging.delete(res));
      return;
    }
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  serveParent(
    { port: (server.address() as AddressInfo).port },
    {
      /** The arrivals since the last call: [path, webhook-id, wall-clock ms]. */
      arrivals: () => arrivals.splice(0),
      /** The most requests to /hang open at once so far. */
      maxHanging: () => maxHanging,
    },
    async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
    },
  );
});
