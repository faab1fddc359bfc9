import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { onCleanup } from './cleanup';

/**
 * Processes the bench starts (servers under test, load clients) and the small request/answer
 * protocol it speaks with them over the IPC channel. Messages use Node's "advanced" serialisation
 * (structured clone), so Float64Arrays of samples cross it as bytes rather than as JSON text.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');

interface Request {
  id: number;
  type: string;
  body: unknown;
}
type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
type Handlers = Record<string, (body: any) => unknown>;

/** What every bench child reports about itself. */
export interface ProcessStats {
  /** User + system CPU since the process started, µs. */
  cpuMicros: number;
  /** Resident set size, bytes. */
  rss: number;
  /** V8 heap in use plus memory held outside it by JS objects (Buffers), bytes. */
  heap: number;
}

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  /** Sends a request to the child's handler `type` and resolves with its answer. */
  request<T = unknown>(type: string, body?: unknown): Promise<T>;
  /** Asks the child to exit by itself (so `--cpu-prof` can write its profile), then kills what is left. */
  stop(): Promise<void>;
}

/**
 * Starts `entry` (a TypeScript file under bench/) with `node --import tsx` in a process group of its
 * own, with its open-files limit raised to the hard limit first (`ulimit -n`, in the shell that
 * execs node): thousands of WebSockets need thousands of descriptors. Resolves once the child says
 * it is ready; `ready` is what it said.
 */
export async function startBenchChild<Ready = unknown>(
  name: string,
  entry: string,
  options: { env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<{ child: BenchChild; ready: Ready }> {
  const node = [process.execPath, '--expose-gc', ...(options.nodeArgs ?? []), '--import', 'tsx', path.resolve(REPO_ROOT, entry)];
  const proc: ChildProcess = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...node], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const pid = proc.pid!;
  const pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  void gone.then(() => {
    exited = true;
    for (const waiter of pending.values()) waiter.reject(new Error(`bench child ${name} exited`));
    pending.clear();
  });
  const ready = new Promise<Ready>((resolve, reject) => {
    proc.once('exit', (code, signal) => reject(new Error(`bench child ${name} exited (${code ?? signal}) before it was ready`)));
    proc.on('message', (message: { ready?: Ready } | Answer) => {
      if ('ready' in message) return resolve(message.ready as Ready);
      const answer = message as Answer;
      const waiter = pending.get(answer.id);
      pending.delete(answer.id);
      if (!waiter) return;
      if (answer.ok) waiter.resolve(answer.value);
      else waiter.reject(new Error(`${name}: ${answer.error}`));
    });
  });
  const kill = onCleanup(async () => {
    if (exited) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    await gone;
  });
  const child: BenchChild = {
    name,
    pid,
    request(type, body) {
      if (exited) return Promise.reject(new Error(`bench child ${name} has exited`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        proc.send({ id, type, body } satisfies Request);
      });
    },
    async stop() {
      if (!exited) {
        proc.send({ id: 0, type: 'exit', body: null } satisfies Request);
        await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      }
      await kill();
    },
  };
  try {
    return { child, ready: await ready };
  } catch (error) {
    await kill();
    throw error;
  }
}

/**
 * The child's side: answers the parent's requests with `handlers` (an `exit` request runs
 * `onExit` and exits), then says it is ready with `ready`. A handler's error is sent back as the
 * request's rejection. The child exits when the parent goes away.
 */
export function serveParent(ready: unknown, handlers: Handlers, onExit: () => Promise<void> = async () => undefined): void {
  if (!process.send) throw new Error('a bench child must be started by the bench (startBenchChild)');
  const send = (message: unknown) => process.send!(message);
  process.on('message', async (request: Request) => {
    if (request.type === 'exit') {
      await onExit().catch(() => undefined);
      process.exit(0);
    }
    try {
      const handler = handlers[request.type];
      if (!handler) throw new Error(`no handler for ${request.type}`);
      send({ id: request.id, ok: true, value: await handler(request.body) } satisfies Answer);
    } catch (error) {
      send({ id: request.id, ok: false, error: (error as Error).stack ?? String(error) } satisfies Answer);
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ ready });
}

/** CPU and memory of this process now. */
export function processStats(): ProcessStats {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    rss: memory.rss,
    heap: memory.heapUsed + memory.external,
  };
}

/**
 * `processStats()`, or with `gc` (which needs --expose-gc), after three full collections 300 ms
 * apart: V8 gives pages back to the system in the background after a collection, and RSS read
 * straight after one still counts them.
 */
export async function statsAfter(options: { gc?: boolean } = {}): Promise<ProcessStats> {
  if (options.gc && global.gc) {
    for (let i = 0; i < 3; i++) {
      global.gc();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  return processStats();
}

/** This process's soft limit of open files, from /proc (Node has no getrlimit). */
export function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line?.split(/\s+/)[3]);
  } catch {
    return Number.NaN;
  }
}

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes of one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
