import { loadConfig, redactUrl } from './config';
import { PRODUCTION_KEY, PRODUCTION_SECRET, problemsOf } from '../test/support/config-problems';

const SECRET = PRODUCTION_SECRET;

describe('loadConfig', () => {
  it('runs with no variables at all: embedded mode, development defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      databasePreparedStatements: true,
      databaseStatementTimeoutMs: 30_000,
      databaseConnectionsPerRequest: 4,
      redisUrl: undefined,
      redisPrefix: 'herald:',
      smtpUrl: undefined,
      mailFrom: 'Herald <no-reply@herald.localhost>',
      jwtSecretGenerated: true,
      accessTokenTtl: 900,
      refreshTokenTtl: 30 * 86400,
      platformAdminEmails: [],
      rateLimitAuthPerMinute: 120,
      trustProxy: false,
      logLevel: 'info',
      dataDir: '.herald',
      shutdownTimeoutMs: 10_000,
      passwordHashCost: 'standard',
      testHooks: { pauseBeforePublish: false },
    });
  });

  it('treats empty and blank values as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '   ', LOG_LEVEL: ' ' })).toMatchObject({
      port: 4000,
      databaseUrl: undefined,
      logLevel: 'info',
    });
  });

  it.each([
    ['900', 900],
    ['15m', 900],
    ['12h', 12 * 3600],
    ['30d', 30 * 86400],
    ['45s', 45],
  ])('reads the duration "%s" as %i seconds', (value, seconds) => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: value, REFRESH_TOKEN_TTL: value })).toMatchObject({
      accessTokenTtl: seconds,
      refreshTokenTtl: seconds,
    });
  });

  it.each(['15 minutes', '1.5h', '-60', '0', '0m', '15M', 'm', 'soon'])('refuses the duration "%s", naming the variable', (value) => {
    expect(problemsOf({ ACCESS_TOKEN_TTL: value })).toEqual([
      `ACCESS_TOKEN_TTL: expected a positive duration such as 900, 15m, 12h or 30d, got "${value}"`,
    ]);
  });

  it('reports every problem at once, one line each, starting with the variable', () => {
    const env = {
      NODE_ENV: 'staging',
      PORT: '70000',
      LOG_LEVEL: 'loud',
      TRUST_PROXY: 'maybe',
      REDIS_URL: 'http://cache:6379',
      REFRESH_TOKEN_TTL: 'forever',
      RATE_LIMIT_AUTH_PER_MINUTE: '0',
      SHUTDOWN_TIMEOUT_MS: '50',
      PLATFORM_ADMIN_EMAILS: 'ada@example.com, not-an-email',
    };
    const problems = problemsOf(env);
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual(
      ['LOG_LEVEL', 'NODE_ENV', 'PLATFORM_ADMIN_EMAILS', 'PORT', 'RATE_LIMIT_AUTH_PER_MINUTE', 'REDIS_URL',
        'REFRESH_TOKEN_TTL', 'SHUTDOWN_TIMEOUT_MS', 'TRUST_PROXY'],
    );
    expect(problems).toContain('PORT: expected a whole number from 0 to 65535, got "70000"');
    expect(problems).toContain('NODE_ENV: expected one of development, test, production, got "staging"');
    expect(problems).toContain('PLATFORM_ADMIN_EMAILS: expected a comma-separated list of emails, got "not-an-email"');
    for (const line of problems) expect(line).not.toContain('\n');

    let message = '';
    try {
      loadConfig(env);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toEqual(['Invalid configuration:', ...problems.map((p) => `  - ${p}`)]);
  });

  it('never prints the password of a URL it refuses', () => {
    const [problem] = problemsOf({ DATABASE_URL: 'mysql://herald:hunter2@db:3306/herald' });
    expect(problem).toMatch(/^DATABASE_URL: expected a URL starting with postgres:\/\/ or postgresql:\/\//);
    expect(problem).not.toContain('hunter2');
    expect(redactUrl('postgres://herald:hunter2@db/herald')).toBe('postgres://herald:***@db/herald');
  });

  describe('JWT_SECRET', () => {
    it('is required in production', () => {
      expect(problemsOf({ NODE_ENV: 'production', SECRET_KEY: PRODUCTION_KEY })).toEqual([
        'JWT_SECRET: required when NODE_ENV=production (use `openssl rand -hex 32`)',
      ]);
    });

    it('is taken as given in production', () => {
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, SECRET_KEY: PRODUCTION_KEY })).toMatchObject({
        jwtSecret: SECRET,
        jwtSecretGenerated: false,
      });
    });

    it('is generated, random per process, outside production, and the config says so', () => {
      const [a, b] = [loadConfig({ NODE_ENV: 'development' }), loadConfig({ NODE_ENV: 'test' })];
      expect(a.jwtSecretGenerated).toBe(true);
      expect(a.jwtSecret).toMatch(/^[0-9a-f]{64}$/);
      expect(b.jwtSecret).not.toBe(a.jwtSecret);
    });

    it('is refused when shorter than 32 characters, in any environment', () => {
      expect(problemsOf({ JWT_SECRET: 'short' })).toEqual([
        'JWT_SECRET: expected at least 32 characters (use `openssl rand -hex 32`)',
      ]);
    });
  });

  describe('PASSWORD_HASH_COST=low', () => {
    it.each(['development', 'production'])('is refused with NODE_ENV=%s', (nodeEnv) => {
      expect(problemsOf({ NODE_ENV: nodeEnv, JWT_SECRET: SECRET, SECRET_KEY: PRODUCTION_KEY, PASSWORD_HASH_COST: 'low' })).toEqual([
        'PASSWORD_HASH_COST: "low" is only allowed with NODE_ENV=test',
      ]);
    });

    it('is accepted with NODE_ENV=test', () => {
      expect(loadConfig({ NODE_ENV: 'test', PASSWORD_HASH_COST: 'low' }).passwordHashCost).toBe('low');
    });
  });

  it('honours test hooks only with NODE_ENV=test', () => {
    expect(loadConfig({ NODE_ENV: 'test', TEST_PAUSE_BEFORE_PUBLISH: 'true' }).testHooks.pauseBeforePublish).toBe(true);
    expect(loadConfig({ TEST_PAUSE_BEFORE_PUBLISH: 'true' }).testHooks.pauseBeforePublish).toBe(false);
  });

  it('lower-cases, trims and NFKC-normalises PLATFORM_ADMIN_EMAILS', () => {
    expect(loadConfig({ PLATFORM_ADMIN_EMAILS: ' Ada@Example.com,,grace@example.COM,ＢＯＢ@example.com ' }).platformAdminEmails).toEqual([
      'ada@example.com',
      'grace@example.com',
      'bob@example.com',
    ]);
  });

  describe('SECRET_KEY', () => {
    it('is required in production, and refused unless it is 32 bytes in hex or base64', () => {
      expect(problemsOf({ NODE_ENV: 'production', JWT_SECRET: SECRET })).toEqual([
        'SECRET_KEY: required when NODE_ENV=production (use `openssl rand -hex 32`)',
      ]);
      for (const bad of ['short', '0f'.repeat(31), 'zz'.repeat(32)]) {
        expect(problemsOf({ SECRET_KEY: bad })).toEqual(['SECRET_KEY: expected 32 bytes as 64 hex characters or base64 (use `openssl rand -hex 32`)']);
      }
    });

    it('reads hex and base64 alike', () => {
      const key = Buffer.alloc(32, 7);
      expect(loadConfig({ SECRET_KEY: key.toString('hex') }).secretKey).toEqual(key);
      expect(loadConfig({ SECRET_KEY: key.toString('base64') }).secretKey).toEqual(key);
      expect(loadConfig({}).secretKey).toBeUndefined();
    });
  });

  describe('accounts', () => {
    it('has the contract’s lifetimes by default, and takes PUBLIC_URL without its trailing slash', () => {
      expect(loadConfig({}).accounts).toMatchObject({ emailVerificationTtl: 48 * 3600, passwordResetTtl: 30 * 60, invitationTtl: 7 * 86400 });
      expect(loadConfig({ PUBLIC_URL: 'https://herald.example.com/' }).publicUrl).toBe('https://herald.example.com');
      expect(loadConfig({}).publicUrl).toBeUndefined();
      expect(problemsOf({ PUBLIC_URL: 'herald.example.com' })).toEqual([
        'PUBLIC_URL: expected the address users reach Herald at, such as https://herald.example.com, got "herald.example.com"',
      ]);
    });
  });

  it('returns a frozen object, nested parts included', () => {
    const config = loadConfig({ PLATFORM_ADMIN_EMAILS: 'ada@example.com' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.testHooks)).toBe(true);
    expect(Object.isFrozen(config.platformAdminEmails)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (config.platformAdminEmails as string[]).push('mallory@example.com')).toThrow(TypeError);
  });
});
