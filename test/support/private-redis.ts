import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';

/**
 * A Redis server of one test's own, for outage tests: stopping the shared one would break every
 * other suite on the machine. Nothing is persisted.
 */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Starts it (again) on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it, cutting every connection, as in an outage. */
  stop(): Promise<void>;
  /** Stops it if it runs and deletes its directory. Safe to call twice. */
  remove(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'herald-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;

  const server: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
      const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      await new Promise<void>((resolve, reject) => {
        let output = '';
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (/Ready to accept connections/.test(output)) {
            started.stdout!.off('data', onData);
            started.stdout!.resume(); // keep draining so redis never blocks on a full pipe
            resolve();
          }
        };
        started.stdout!.on('data', onData);
        started.stderr!.resume();
        started.once('error', reject);
        started.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output.slice(-2_000)}`)));
      });
      started.once('exit', () => {
        if (child === started) child = null;
      });
    },
    async stop() {
      const running = child;
      if (!running) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
      child = null;
    },
    async remove() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.remove();
    throw error;
  }
  return server;
}
