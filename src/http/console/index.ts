import express from 'express';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { Services } from '../../services';
import { consoleAuth } from './console-auth';
import { consoleFiles } from './console-files';

/**
 * Where `npm run build` puts the console: `dist/console` at the repository's root, found from
 * this file whether it runs from src/ (tsx, Jest) or from the compiled dist/src/.
 */
export function consoleDir(): string {
  const candidates = [resolve(__dirname, '../../../dist/console'), resolve(__dirname, '../../../console')];
  return candidates.find((dir) => existsSync(resolve(dir, 'index.html'))) ?? candidates[0];
}

/** /console: the cookie sign-in endpoint and the single-page app's files (docs/CONSOLE.md). */
export function consoleRoutes(options: { config: Config; services: Services; logger: Logger; dir?: string }): express.Router {
  const router = express.Router();
  router.use('/auth', consoleAuth(options));
  router.use(consoleFiles(options.dir ?? consoleDir(), options.logger));
  return router;
}
