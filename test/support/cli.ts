import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { childCoverageEnv } from './env';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'herald.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a CLI run sees: only what it is given (no DATABASE_URL of the developer's). */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...childCoverageEnv(), ...env };
}

/** Runs `herald <args>` (bin/herald.js, as `npx herald` does) to its end. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running `herald <args>` (events tail) whose output accumulates as it comes. */
export function startCli(args: string[], env: Record<string, string>) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(env) });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (output.stdout += chunk));
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    output,
    /** Stops it as Ctrl-C would, and waits for it to end. */
    async interrupt(): Promise<number | null> {
      child.kill('SIGINT');
      return closed;
    },
    kill: () => child.kill('SIGKILL'),
  };
}
