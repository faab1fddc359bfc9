#!/usr/bin/env node
// Builds the console (console/, Vite) into dist/console, only when it is missing or older than its
// sources (console/ and the SDL its operations are typed against): `npm start` and the browser
// tests call it, so an unchanged console costs a few file stats. `--force` builds anyway.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const SOURCES = [join(ROOT, 'console'), join(ROOT, 'src/schema'), join(ROOT, 'package-lock.json')];
const BUILT = join(ROOT, 'dist/console/index.html');

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).filter((name) => name !== 'node_modules').map((name) => newestMtime(join(path, name))));
}

/** True when dist/console is missing or older than a file it is built from. */
function consoleIsStale() {
  if (!existsSync(BUILT)) return true;
  const built = statSync(BUILT).mtimeMs;
  return SOURCES.some((source) => existsSync(source) && newestMtime(source) > built);
}

function buildConsole() {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'console/vite.config.mts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

module.exports = { consoleIsStale, buildConsole };

if (require.main === module) {
  if (process.argv.includes('--force') || consoleIsStale()) buildConsole();
}
