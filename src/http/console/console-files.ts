import type express from 'express';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { Logger } from '../../logger';

/**
 * CSP of the console's pages: scripts and styles only from Herald itself (no inline script, no
 * eval), API calls and WebSockets to the same origin, never framed. Monaco (the explorer's
 * editor) sets styles from script and runs its workers from Herald's own files, hence
 * `style-src 'unsafe-inline'` and `worker-src 'self' blob:`; scripts stay 'self' only.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

interface ConsoleFile {
  type: string;
  /** Hashed build output (under assets/): cached for a year, never revalidated. */
  immutable: boolean;
  path: string;
  /** Whether the build wrote a .br / .gz beside it. */
  encodings: { br: boolean; gzip: boolean };
  /** Read on first request, then kept (the explorer's megabytes are read only if someone opens it). */
  bodies?: { identity: Buffer; br?: Buffer; gzip?: Buffer };
}

/**
 * The built console (`dist/console`, from `npm run build`), listed once at start-up and served by
 * name from that fixed map, so no request path ever reaches the file system; each file is read on
 * its first request and kept in memory.
 * `.br`/`.gz` siblings written by the build are sent to browsers that accept them. Any other path
 * under /console is a page of the single-page app and gets index.html (not cached, so a new
 * build is picked up at once); a missing file under /console/assets/ is a 404.
 */
export function consoleFiles(dir: string, logger: Logger): express.RequestHandler {
  const files = loadFiles(dir);
  const index = files.get('/index.html');
  if (!index) logger.warn({ dir }, 'the console is not built: run `npm run build` (or set CONSOLE=false)');

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = req.path === '/' ? '/index.html' : req.path;
    const file = files.get(path) ?? (path.startsWith('/assets/') || extname(path) ? undefined : index);
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    if (!file) {
      if (!index && !path.startsWith('/assets/')) {
        res.status(503).type('text/plain').send('The console is not built: run `npm run build`, then restart Herald.\n');
        return;
      }
      res.status(404).type('text/plain').send('Not found\n');
      return;
    }
    try {
      file.bodies ??= readBodies(file);
    } catch {
      // Removed since start-up: the console was rebuilt under a running Herald.
      res.status(404).type('text/plain').send('Not found: the console was rebuilt; reload the page.\n');
      return;
    }
    const encoding = file.encodings.br && req.acceptsEncodings('br') ? 'br' : file.encodings.gzip && req.acceptsEncodings('gzip') ? 'gzip' : undefined;
    res.setHeader('Content-Type', file.type);
    res.setHeader('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.setHeader('Vary', 'Accept-Encoding');
    if (encoding) res.setHeader('Content-Encoding', encoding);
    res.end(req.method === 'HEAD' ? undefined : encoding ? file.bodies[encoding] : file.bodies.identity);
  };
}

function loadFiles(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  if (!existsSync(dir)) return files;
  for (const path of walk(dir)) {
    const ext = extname(path);
    if (ext === '.br' || ext === '.gz' || !TYPES[ext]) continue;
    const name = '/' + relative(dir, path).split(sep).join('/');
    files.set(name, {
      type: TYPES[ext],
      immutable: name.startsWith('/assets/'),
      path,
      encodings: { br: existsSync(`${path}.br`), gzip: existsSync(`${path}.gz`) },
    });
  }
  return files;
}

function readBodies(file: ConsoleFile): NonNullable<ConsoleFile['bodies']> {
  return {
    identity: readFileSync(file.path),
    br: file.encodings.br ? readFileSync(`${file.path}.br`) : undefined,
    gzip: file.encodings.gzip ? readFileSync(`${file.path}.gz`) : undefined,
  };
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
