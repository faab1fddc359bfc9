import { hkdfSync, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger';

/** What each key derived from the master key is for; one purpose, one key. */
export type KeyPurpose = 'link-tokens' | 'refresh-successors' | 'device-tokens' | 'stored-secrets';

/**
 * Keys derived from Herald's master key (SECRET_KEY) with HKDF-SHA256, one per purpose, so a key
 * used to sign one kind of thing never signs another.
 */
export class ServerKeys {
  private readonly derived = new Map<KeyPurpose, Buffer>();

  constructor(private readonly master: Buffer) {}

  key(purpose: KeyPurpose): Buffer {
    let key = this.derived.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.master, Buffer.alloc(0), `herald:${purpose}`, 32));
      this.derived.set(purpose, key);
    }
    return key;
  }
}

/**
 * The master key: SECRET_KEY when configured; otherwise (never in production, which requires it) the
 * key kept in `<dataDir>/secret.key`, created on first start. It outlives restarts, so emailed links
 * and stored secrets keep working when the server restarts.
 */
export async function loadMasterKey(configured: Buffer | undefined, dataDir: string, logger: Logger): Promise<Buffer> {
  if (configured) return configured;
  const file = path.resolve(dataDir, 'secret.key');
  const kept = await readKeyFile(file);
  if (kept) return kept;
  const key = randomBytes(32);
  await mkdir(path.dirname(file), { recursive: true });
  // Written whole to a file of its own, then linked into place (which fails if the name exists):
  // of two processes starting at once one wins, and the loser reads the winner's complete key.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  const linked = await link(draft, file)
    .then(() => true)
    .catch((error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? false : Promise.reject(error)))
    .finally(() => unlink(draft));
  if (!linked) {
    // The name exists: another process's key, or a symbolic link to nothing (it cannot be read).
    const theirs = await readKeyFile(file);
    if (!theirs) throw new Error(`${file} is a symbolic link to a missing file: remove it or point it at a key`);
    return theirs;
  }
  logger.warn({ file }, 'SECRET_KEY is not set: generated one and kept it in this file (set SECRET_KEY in production)');
  return key;
}

/** The key kept in `file`, or null when there is no such file. */
async function readKeyFile(file: string): Promise<Buffer | null> {
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
    if (key.length === 32) return key;
    throw new Error(`${file} does not hold 64 hex characters: remove it to have a new key made`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
