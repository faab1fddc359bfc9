import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SOURCES = [join(ROOT, 'console'), join(ROOT, 'src/schema')];
const BUILT = join(ROOT, 'dist/console/index.html');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).filter((name) => name !== 'node_modules').map((name) => newestMtime(join(path, name))));
}

/** True when dist/console is missing or older than a file of console/ (or the SDL it is typed against). */
export function consoleIsStale(): boolean {
  if (!existsSync(BUILT)) return true;
  const built = statSync(BUILT).mtimeMs;
  return SOURCES.some((dir) => newestMtime(dir) > built);
}

/** Builds the console with Vite when it is stale (the browser tests serve dist/console). */
export function buildConsoleIfStale(): void {
  if (!consoleIsStale()) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'console/vite.config.mts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
