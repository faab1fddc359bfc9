import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { StartupError } from '../errors/startup-error';
import type { Logger } from '../logger';

/** An in-process PostgreSQL (PGlite) reachable over a loopback socket by the ordinary `pg` driver. */
export interface EmbeddedPostgres {
  /** A `postgres://` URL for the DataSource. Use a pool of one: PGlite is a single session. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite on `dir`, behind pglite-socket. A lock file keeps a second process from opening
 * the same directory, which could silently lose committed rows.
 */
export async function startEmbeddedPostgres(dir: string, logger: Logger): Promise<EmbeddedPostgres> {
  await mkdir(dir, { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, { lockfilePath: path.join(dir, '.herald.lock'), stale: 10_000 });
  } catch {
    throw new StartupError(
      `The embedded database in ${dir} is in use by another Herald process; stop it, or set DATA_DIR or DATABASE_URL.`,
    );
  }
  try {
    // pglite ships as ESM with a CommonJS build; import lazily so production never loads it.
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const db = await PGlite.create(dir);
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
    await server.start();
    const address = server.getServerConn(); // "127.0.0.1:<port>"
    logger.debug({ dir, address }, 'embedded PostgreSQL started');
    return {
      url: `postgres://postgres@${address}/postgres`,
      async stop() {
        await server.stop();
        await db.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
