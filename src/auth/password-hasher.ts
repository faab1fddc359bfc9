import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { HashPool } from './hash-pool';
import { normalisePassword } from './password-policy';


function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keyLength: number;
  saltLength: number;
}

/**
 * scrypt parameters: N=2^15, r=8, p=3, one of OWASP's recommended equivalent settings
 * (32 MiB of memory per hash). About 220 ms per hash on a 2-core CI machine. Hashes are stored
 * as `scrypt$N$r$p$salt$key` (base64), so parameters can be raised later and old hashes verify.
 */
export const SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 3, keyLength: 32, saltLength: 16 };

/**
 * Cheap parameters for test suites that create hundreds of users (config PASSWORD_HASH_COST=low,
 * refused outside NODE_ENV=test). Never for real passwords.
 */
export const SCRYPT_PARAMS_LOW: ScryptParams = { N: 2 ** 10, r: 8, p: 1, keyLength: 32, saltLength: 16 };

/**
 * The default pool: one hash at a time per core but one (a core stays for the event loop, the
 * database driver and the listeners), up to 4 (libuv's threads, which scrypt runs on), and 8
 * sign-ins waiting per client address before it is refused.
 */
export function defaultHashPool(): HashPool {
  return new HashPool(Math.max(1, Math.min(4, availableParallelism() - 1)), 8);
}

export class PasswordHasher {
  /** A hash of a random password, verified against when the email is unknown so both cost the same. */
  private readonly decoy: Promise<string>;

  constructor(private readonly params: ScryptParams = SCRYPT_PARAMS) {
    this.decoy = this.hash(randomBytes(16).toString('hex'));
  }

  async hash(password: string): Promise<string> {
    const { N, r, p, keyLength, saltLength } = this.params;
    const salt = randomBytes(saltLength);
    const key = await scrypt(password, salt, keyLength, { N, r, p, maxmem: maxmem(N, r, p) });
    return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [kind, n, r, p, salt, key] = stored.split('$');
    if (kind !== 'scrypt' || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64');
    const [N, R, P] = [Number(n), Number(r), Number(p)];
    const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
      N,
      r: R,
      p: P,
      maxmem: maxmem(N, R, P),
    });
    return timingSafeEqual(actual, expected);
  }

  /**
   * Checks a typed password against a stored hash: as typed, then (if different) its NFKC form, since
   * hashes made before passwords were normalised hold the typed form. `rehash`: the caller should
   * store a new hash of the NFKC form (`hash(normalisePassword(typed))`), because it matched a form
   * other than NFKC or the hash has older parameters.
   */
  async check(typed: string, stored: string): Promise<{ valid: boolean; rehash: boolean }> {
    const normalised = normalisePassword(typed);
    if (await this.verify(typed, stored)) {
      return { valid: true, rehash: normalised !== typed || !this.isCurrent(stored) };
    }
    if (normalised !== typed && (await this.verify(normalised, stored))) {
      return { valid: true, rehash: !this.isCurrent(stored) };
    }
    return { valid: false, rehash: false };
  }

  /** Spends the time of `check` and returns false: for sign-ins with an unknown email. */
  async checkDecoy(typed: string): Promise<{ valid: false; rehash: false }> {
    await this.check(typed, await this.decoy);
    return { valid: false, rehash: false };
  }

  /** True when `stored` was made with this hasher's parameters. */
  private isCurrent(stored: string): boolean {
    const [, n, r, p] = stored.split('$');
    return Number(n) === this.params.N && Number(r) === this.params.r && Number(p) === this.params.p;
  }
}

/** scrypt needs 128·N·r bytes (plus p blocks); node refuses above `maxmem`, 32 MiB by default. */
function maxmem(N: number, r: number, p: number): number {
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}
