import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const BIN = process.env.TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
const execFileAsync = promisify(execFile);

/**
 * A PostgreSQL server of one test's own, for outage tests: stopping the shared server would break
 * every other suite (and other engineers' work) on the machine.
 */
export interface PrivatePostgres {
  readonly port: number;
  /** Superuser URL of its `postgres` database. */
  readonly url: string;
  /** Starts it (again) on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Fast shutdown: open connections are cut, as in an outage. */
  stop(): Promise<void>;
  /** Stops it if it runs and deletes its directory. Safe to call twice. */
  remove(): Promise<void>;
}

/**
 * initdb's a cluster in a temp dir and starts it on a free loopback port. PostgreSQL refuses to
 * run as root, so as root the binaries run as the `postgres` user, who must own the directory.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'herald-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const pg = async (binary: string, args: string[]) => {
    const [command, fullArgs] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, binary), ...args]]
      : [path.join(BIN, binary), args];
    try {
      await execFileAsync(command, fullArgs as string[], { timeout: 60_000 });
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`${binary} ${args.at(-1)} failed: ${(error as Error).message}\n${log.slice(-2_000)}`);
    }
  };

  if (asRoot) await execFileAsync('chown', ['postgres:', dir]);
  let running = false;
  let removed = false;
  const server: PrivatePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      // -l: the server's output goes to a file, so pg_ctl exits without holding our pipes open.
      await pg('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions(port, dir), 'start']);
      running = true;
    },
    async stop() {
      await pg('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
      running = false;
    },
    async remove() {
      if (removed) return;
      removed = true;
      if (running) await pg('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await pg('initdb', ['-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync', '-D', dataDir]);
    await server.start();
  } catch (error) {
    await server.remove();
    throw error;
  }
  return server;
}

/** Loopback only, its socket in its own dir, and no fsync: the data is thrown away anyway. */
function serverOptions(port: number, socketDir: string): string {
  return `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
}
