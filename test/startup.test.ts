import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from './support/database';
import { POSTGRES_ADMIN_URL, childCoverageEnv } from './support/env';

const ROOT = path.resolve(__dirname, '..');

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs `src/main.ts` (what `npm start` runs, compiled) as a newcomer would, until it exits. */
function startServer(
  env: Record<string, string>,
  /** Called with each stdout line; returning a signal name sends it to the server. */
  onLine: (line: string) => NodeJS.Signals | void = () => undefined,
): Promise<{ code: number | null; stdout: string[]; stderr: string[] }> {
  return new Promise((resolve, reject) => {
    // `node --import tsx`, not the tsx CLI: the CLI relays a signal to its child and SIGKILLs it
    // when the child has not answered within 30 ms, which a loaded machine misses.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', ...childCoverageEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      const before = stdout.split('\n').length - 1;
      stdout += chunk;
      for (const line of stdout.split('\n').slice(before, -1)) {
        const signal = onLine(line);
        if (signal) child.kill(signal);
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // A deadline, not a measure: an embedded cold start (initdb) takes 5 s on a quiet machine and
    // has taken over 50 s on a loaded one.
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('error', reject);
    // 'close', not 'exit': it comes after the output has all been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = (text: string) => text.split('\n').filter(Boolean);
      resolve({ code, stdout: lines(stdout), stderr: lines(stderr) });
    });
  });
}

describe('start-up with a service out of reach', () => {
  it('says first which database, where (password hidden) and what to check, retries, then gives up', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await startServer({
      DATABASE_URL: `postgres://herald:s3cret-pw@127.0.0.1:${port}/herald`,
      STARTUP_MAX_ATTEMPTS: '2',
    });
    expect(code).toBe(1);
    expect(stderr.join('\n')).not.toMatch(/^\s+at /m); // no stack trace anywhere
    expect(stdout.join('\n')).not.toContain('s3cret-pw');

    const first = JSON.parse(stdout[0]);
    expect(first.msg).toBe(
      `PostgreSQL is unreachable at postgres://herald:***@127.0.0.1:${port}/herald (connect ECONNREFUSED 127.0.0.1:${port}): ` +
        'is PostgreSQL running and listening on that host and port? Start it, or fix DATABASE_URL; retrying in 500 ms (attempt 1 of 2)',
    );
    const last = stdout.map((line) => JSON.parse(line)).find((line) => line.msg.startsWith('Herald could not start'));
    expect(last.msg).toMatch(/^Herald could not start: PostgreSQL is unreachable at .*; gave up after 2 attempts \(STARTUP_MAX_ATTEMPTS\)$/);
    expect(last.err).toBeUndefined();
  });

  it('starts anyway when Redis is unreachable, saying first which, where and what to check', async () => {
    const port = await closedPort();
    const db = await createTestDatabase();
    try {
      let url: string | null = null;
      const { code, stdout } = await startServer(
        { DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${port}`, STARTUP_RETRY: 'false' },
        (line) => {
          const ready = /Herald is ready/.test(line) ? JSON.parse(line) : null;
          if (!ready) return undefined;
          url = ready.url;
          return 'SIGTERM';
        },
      );
      expect(code).toBe(0); // it started, and stopped on the signal
      expect(JSON.parse(stdout[0]).msg).toBe(
        `Redis is unreachable at redis://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): ` +
          'is Redis running and listening on that host and port? Start it, or fix REDIS_URL; starting without it: ' +
          'listeners and live streams poll the database, and events are published when it answers',
      );
      expect(url).not.toBeNull();
    } finally {
      await db.drop();
    }
  }, 60_000);
});

describe('start-up on a port in use', () => {
  it('says so in its first line, with no stack on stderr or stdout before it', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    const db = await createTestDatabase();
    try {
      const { code, stdout, stderr } = await startServer({ DATABASE_URL: db.url, PORT: String(port) });
      expect(code).toBe(1);
      expect(stderr).toEqual([]);
      const lines = stdout.map((line) => JSON.parse(line));
      const fatal = lines.findIndex((line) => line.msg.startsWith('Herald could not start'));
      expect(lines[fatal].msg).toMatch(/EADDRINUSE/);
      // Nothing before the fatal line is an error (level 50) or carries a stack.
      expect(lines.slice(0, fatal).filter((line) => line.level >= 50 || line.err)).toEqual([]);
    } finally {
      taken.close();
      await db.drop();
    }
  }, 60_000);
});

describe('stopping', () => {
  it('stops gracefully on Ctrl-C in embedded mode (no configuration at all)', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'herald-embedded-'));
    try {
      const { code, stdout } = await startServer({ DATA_DIR: dataDir }, (line) =>
        line.includes('Herald is ready') ? 'SIGINT' : undefined,
      );
      const messages = stdout.map((line) => JSON.parse(line).msg);
      expect(messages.slice(-2)).toEqual(['shutting down', 'Herald stopped']);
      expect(code).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
