import { createServer } from 'node:net';

/**
 * A loopback TCP port that was free a moment ago, for servers that cannot listen on port 0
 * themselves (or must come back on the same port). Another process could take it in between;
 * the OS hands out ephemeral ports round-robin, which makes that rare.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
