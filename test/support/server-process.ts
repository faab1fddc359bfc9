import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { childCoverageEnv } from './env';

/** The repository root: where `src/main.ts` and `node_modules` are. */
export const REPO_ROOT = path.resolve(__dirname, '../..');

/** One JSON log line of the server (pino), or `{ msg: <text> }` for a line that is not JSON. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every stdout line so far, parsed. */
  readonly logs: LogLine[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Settles when the process has exited and its output is read, with its code (or the signal that ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * The first log line (past or future) that matches, or a rejection when the process exits first
   * or `timeoutMs` passes; the error shows the last lines and stderr.
   */
  waitForLog(matches: (line: LogLine) => boolean, options?: { timeoutMs?: number; what?: string }): Promise<LogLine>;
  /** Sends `signal` to the server process only (as an orchestrator's SIGTERM would). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs the whole process group, so no child survives; resolves when it is gone. Safe twice. */
  kill(): Promise<void>;
}

/** Every process started here, so a test file's afterAll can kill what a failed test left. */
const started = new Set<ServerProcess>();

/**
 * Starts `src/main.ts` (the real start path) in a process group of its own. The process gets
 * exactly `env` (nothing is inherited unless the caller passes it), plus PATH.
 *
 * It runs as `node --import tsx src/main.ts` rather than through the tsx CLI: the CLI runs the
 * script in a child process and relays signals with 30 ms IPC timeouts, after which it re-sends
 * SIGTERM (a second SIGTERM exits at once, with 143) or SIGKILLs; on a loaded machine that turns a
 * graceful-shutdown test into a flaky one. One process behaves as `node dist/src/main.js` does.
 */
export function startServerProcess(env: Record<string, string>, options: { args?: string[] } = {}): ServerProcess {
  const child = spawn(process.execPath, options.args ?? ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...childCoverageEnv(), ...env },
    detached: true, // its own process group: kill() reaches whatever it spawns
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn the server process');
  const pid = child.pid;

  const logs: LogLine[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = parseLine(text);
    logs.push(line);
    for (const waiter of waiters) waiter(line);
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const describe = () =>
    `last lines:\n${logs.slice(-10).map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr.slice(-2_000)}`;

  const server: ServerProcess = {
    child,
    pid,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog(matches, { timeoutMs = 60_000, what = 'a matching log line' } = {}) {
      const seen = logs.find(matches);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const done = (outcome: () => void) => {
          waiters.delete(onLine);
          clearTimeout(timer);
          outcome();
        };
        const onLine = (line: LogLine) => {
          if (matches(line)) done(() => resolve(line));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; ${describe()}`))),
          timeoutMs,
        );
        waiters.add(onLine);
        // `exited` settles after the last line was read, so a line printed just before exiting counts.
        void exited.then(({ code, signal }) =>
          done(() => reject(new Error(`The process exited (${code ?? signal}) before ${what}; ${describe()}`))),
        );
      });
    },
    signal(signal) {
      process.kill(pid, signal);
    },
    async kill() {
      started.delete(server);
      if (!hasExited) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // the group is gone already
        }
        await exited;
      }
    },
  };
  started.add(server);
  return server;
}

/** Kills every server process this test file started and did not kill yet. */
export async function killServerProcesses(): Promise<void> {
  await Promise.all([...started].map((server) => server.kill()));
}

/** process.env without the variables named: a server started with it cannot inherit them. */
export function envWithout(...names: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !names.includes(name)) env[name] = value;
  }
  return env;
}

function parseLine(text: string): LogLine {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return parsed as LogLine;
  } catch {
    // not JSON
  }
  return { msg: text };
}
