import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { Logger } from '../logger';
import { AccessTokens, bearerToken } from './access-tokens';
import { LINK_PATHS, LinkTokens, TOKEN_PLACEHOLDER, linkWithPlaceholder } from './link-tokens';
import { hashRefreshToken, newRefreshToken, successorOf } from './refresh-tokens';
import { ServerKeys, loadMasterKey } from './secret-key';

/** Ids as Herald makes them (a token naming anything else is refused). */
const USER = '0190a000-0000-7000-8000-000000000001';
const SESSION = '0190a000-0000-7000-8000-000000000002';

/** The token helpers of src/auth, alone: what each accepts, what it refuses, and what it derives from what. */
const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const now = () => Math.floor(Date.now() / 1000);

describe('access tokens', () => {
  const tokens = new AccessTokens(SECRET, 900);

  it('verifies what it issued: user, session and expiry', () => {
    const claims = tokens.verify(tokens.issue(USER, SESSION));
    expect(claims).toEqual({ userId: USER, sessionId: SESSION, expiresAt: expect.any(Number) });
    expect(claims!.expiresAt - now()).toBeGreaterThanOrEqual(899);
    expect(claims!.expiresAt - now()).toBeLessThanOrEqual(900);
    const decoded = jwt.decode(tokens.issue(USER, SESSION), { complete: true })!;
    expect(decoded.header.alg).toBe('HS256');
    expect(decoded.payload).toMatchObject({ sub: USER, sid: SESSION, iss: 'herald', aud: 'herald-api' });
  });

  /** A token signed as `issue` signs, with `options` changed; `without` leaves options out. */
  const sign = (payload: object, options: jwt.SignOptions = {}, secret: string = SECRET, without: (keyof jwt.SignOptions)[] = []) => {
    const all: jwt.SignOptions = { algorithm: 'HS256', issuer: 'herald', audience: 'herald-api', subject: USER, expiresIn: 60, ...options };
    for (const key of without) delete all[key];
    return jwt.sign(payload, secret, all);
  };

  it.each([
    ['another secret', () => sign({ sid: SESSION }, {}, 'another-secret-that-is-long-enough-0123456789')],
    ['another algorithm (HS512, same secret)', () => sign({ sid: SESSION }, { algorithm: 'HS512' })],
    ['alg none', () => jwt.sign({ sid: SESSION, sub: USER, iss: 'herald', aud: 'herald-api' }, null as never, { algorithm: 'none' })],
    ['another issuer', () => sign({ sid: SESSION }, { issuer: 'someone-else' })],
    ['another audience', () => sign({ sid: SESSION }, { audience: 'another-api' })],
    ['an expired one', () => sign({ sid: SESSION, exp: now() - 10 }, {}, SECRET, ['expiresIn'])],
    ['one without a session', () => sign({})],
    ['one whose session is not a string', () => sign({ sid: 42 })],
    ['one without a subject', () => sign({ sid: SESSION }, {}, SECRET, ['subject'])],
    ['one whose subject is not a uuid', () => sign({ sid: SESSION }, { subject: 'admin' })],
    ['one whose session is not a uuid', () => sign({ sid: 's' })],
    ['one whose session is a list holding a uuid', () => sign({ sid: [SESSION] })],
    ['a tampered payload', () => {
      const [header, , signature] = sign({ sid: SESSION }).split('.');
      const payload = Buffer.from(JSON.stringify({ sid: SESSION, sub: '0190a000-0000-7000-8000-000000000009', iss: 'herald', aud: 'herald-api' })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    }],
    ['garbage', () => 'not.a.token'],
  ])('refuses %s', (_what, token) => {
    expect(tokens.verify(token())).toBeNull();
  });

  it('accepts a token signed as these are, except for the one thing each changes', () => {
    // Each case above differs from this one only where it says: it is refused for that reason.
    expect(tokens.verify(sign({ sid: SESSION }))).toEqual({ userId: USER, sessionId: SESSION, expiresAt: expect.any(Number) });
  });

  it('reports an expiry of 0 when a valid token has none', () => {
    const token = jwt.sign({ sid: SESSION }, SECRET, { algorithm: 'HS256', issuer: 'herald', audience: 'herald-api', subject: USER });
    expect(tokens.verify(token)).toEqual({ userId: USER, sessionId: SESSION, expiresAt: 0 });
  });

  it.each([
    ['Bearer abc.def', 'abc.def'],
    ['bearer abc', 'abc'],
    ['  Bearer   abc  ', 'abc'],
    ['Bearer', null],
    ['Bearer ', null],
    ['Bearer a b', null],
    ['Basic abc', null],
    ['xBearer abc', null],
    ['', null],
    [undefined, null],
    [['Bearer abc'], null],
  ])('reads the token of the header %j as %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('link tokens', () => {
  const key = Buffer.alloc(32, 7);
  const links = new LinkTokens(key);

  it('derives a token from the row id with the key (HMAC-SHA256 of "link:<id>", base64url)', () => {
    const expected = createHmac('sha256', key).update('link:row-1').digest('base64url');
    expect(links.tokenOf('row-1')).toBe(expected);
    expect(links.tokenOf('row-1')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(links.tokenOf('row-2')).not.toBe(expected);
    expect(new LinkTokens(Buffer.alloc(32, 8)).tokenOf('row-1')).not.toBe(expected);
  });

  it('stores only the SHA-256 of a token, in hex', () => {
    const token = links.tokenOf('row-1');
    expect(LinkTokens.hash(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(links.hashOf('row-1')).toBe(LinkTokens.hash(token));
  });

  it('fills every placeholder of a stored email with the token, and changes nothing else', () => {
    const text = `Open ${TOKEN_PLACEHOLDER} or paste ${TOKEN_PLACEHOLDER}.`;
    const token = links.tokenOf('row-1');
    expect(links.fill(text, 'row-1')).toBe(`Open ${token} or paste ${token}.`);
    expect(links.fill('no link here', 'row-1')).toBe('no link here');
  });

  it('builds each link on the console path of its purpose', () => {
    expect(linkWithPlaceholder('https://h.example', 'reset_password')).toBe(
      `https://h.example/console/reset-password?token=${TOKEN_PLACEHOLDER}`,
    );
    expect(LINK_PATHS).toEqual({
      verify_email: '/console/verify-email',
      change_email: '/console/verify-email',
      reset_password: '/console/reset-password',
      invitation: '/console/invitations/accept',
    });
    expect(TOKEN_PLACEHOLDER).toBe('{{link-token}}');
  });
});

describe('refresh tokens', () => {
  it('are 256 random bits in base64url, never the same twice', () => {
    const tokens = Array.from({ length: 50 }, newRefreshToken);
    for (const token of tokens) expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(new Set(tokens).size).toBe(50);
  });

  it('are stored as their SHA-256 in hex', () => {
    expect(hashRefreshToken('abc')).toBe(createHash('sha256').update('abc').digest('hex'));
  });

  it('have one successor per token and key: an HMAC of "refresh:<token>"', () => {
    const key = Buffer.alloc(32, 1);
    expect(successorOf('abc', key)).toBe(createHmac('sha256', key).update('refresh:abc').digest('base64url'));
    expect(successorOf('abc', key)).toBe(successorOf('abc', Buffer.alloc(32, 1)));
    expect(successorOf('abd', key)).not.toBe(successorOf('abc', key));
    expect(successorOf('abc', Buffer.alloc(32, 2))).not.toBe(successorOf('abc', key));
  });
});

describe('server keys', () => {
  const master = Buffer.alloc(32, 9);

  it('derives one 32-byte key per purpose with HKDF-SHA256 ("herald:<purpose>"), the same each time', () => {
    const keys = new ServerKeys(master);
    const expected = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'herald:link-tokens', 32));
    expect(keys.key('link-tokens')).toEqual(expected);
    expect(keys.key('link-tokens')).toBe(keys.key('link-tokens'));
    expect(new ServerKeys(master).key('link-tokens')).toEqual(expected);
    expect(keys.key('refresh-successors')).not.toEqual(expected);
    expect(new ServerKeys(Buffer.alloc(32, 8)).key('link-tokens')).not.toEqual(expected);
  });
});

describe('the master key', () => {
  let dir: string;
  const warnings: unknown[][] = [];
  const logger = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'herald-key-'));
    warnings.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is SECRET_KEY when configured, and then no file is made', async () => {
    const configured = Buffer.alloc(32, 3);
    expect(await loadMasterKey(configured, dir, logger)).toBe(configured);
    await expect(stat(path.join(dir, 'secret.key'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(warnings).toEqual([]);
  });

  it('is made once, kept in <dataDir>/secret.key (0600, 64 hex), with a warning, and read back after', async () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const key = await loadMasterKey(undefined, dataDir, logger);
    const file = path.join(dataDir, 'secret.key');
    expect(key).toHaveLength(32);
    expect(await readFile(file, 'utf8')).toBe(`${key.toString('hex')}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([[{ file }, expect.stringMatching(/SECRET_KEY is not set/)]]);
    expect(await loadMasterKey(undefined, dataDir, logger)).toEqual(key);
    expect(warnings).toHaveLength(1);
  });

  it('gives two processes starting at once the same key', async () => {
    const [a, b] = await Promise.all([loadMasterKey(undefined, dir, logger), loadMasterKey(undefined, dir, logger)]);
    expect(a).toEqual(b);
    expect(await readdir(dir)).toEqual(['secret.key']); // the drafts are gone
  });

  it('refuses a key file that does not hold 64 hex characters, saying what to do', async () => {
    await writeFile(path.join(dir, 'secret.key'), 'abcd\n');
    await expect(loadMasterKey(undefined, dir, logger)).rejects.toThrow(/does not hold 64 hex characters: remove it/);
  });

  it('refuses a key file that is a symbolic link to nothing, saying what to do (it looped forever before)', async () => {
    await symlink(path.join(dir, 'gone.key'), path.join(dir, 'secret.key'));
    await expect(loadMasterKey(undefined, dir, logger)).rejects.toThrow(/symbolic link to a missing file: remove it/);
  });

  it('passes on an error other than a missing file', async () => {
    await mkdir(path.join(dir, 'secret.key'));
    await expect(loadMasterKey(undefined, dir, logger)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('reads a key file with spaces and blank lines around the key', async () => {
    const key = Buffer.alloc(32, 7);
    await writeFile(path.join(dir, 'secret.key'), `\n  ${key.toString('hex')}  \n\n`);
    expect(await loadMasterKey(undefined, dir, logger)).toEqual(key);
  });

  it('passes on a failure to write a new key file other than "another process made it first"', async () => {
    // /proc/self exists, has no secret.key, and takes no new file.
    const failure = await loadMasterKey(undefined, '/proc/self', logger).catch((error: NodeJS.ErrnoException) => error);
    expect(failure).toMatchObject({ code: expect.any(String) });
    expect((failure as NodeJS.ErrnoException).code).not.toBe('EEXIST');
  });
});
