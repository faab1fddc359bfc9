import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Herald's configuration: the only module that reads `process.env`.
 * `loadConfig` validates every variable and reports all problems at once, one line each.
 */
export interface Config {
  /** `development`, `test` or `production`. Production requires JWT_SECRET and hides Sandbox. */
  readonly nodeEnv: 'development' | 'test' | 'production';
  /** HTTP and WebSocket port (0 picks a free one). */
  readonly port: number;
  /** Interface to bind. */
  readonly host: string;
  /** PostgreSQL URL; absent means the embedded PGlite database under `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Redis URL; absent means an in-process PubSub (one instance only). */
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis channel, so several deployments (or test files) can share one Redis. */
  readonly redisPrefix: string;
  /** SMTP URL; absent means mail is written as .eml files under `dataDir/mail`. */
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  /** HMAC secret of access tokens. */
  readonly jwtSecret: string;
  /** True when JWT_SECRET was not set and a random one was generated for this process. */
  readonly jwtSecretGenerated: boolean;
  /** Access token lifetime, seconds. */
  readonly accessTokenTtl: number;
  /** Refresh token (session) lifetime, seconds. */
  readonly refreshTokenTtl: number;
  /** Lower-cased emails of platform admins. */
  readonly platformAdminEmails: readonly string[];
  readonly rateLimitAuthPerMinute: number;
  /** Take the client IP from X-Forwarded-For (only behind a proxy you trust). */
  readonly trustProxy: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where embedded mode keeps its database and mail. */
  readonly dataDir: string;
  /** How long a graceful shutdown may take before the process exits anyway, ms. */
  readonly shutdownTimeoutMs: number;
  /** Listener runtime: handlers run at once per instance, fallback poll (ms), claim lease (ms). */
  readonly listeners: { readonly concurrency: number; readonly pollIntervalMs: number; readonly leaseMs: number };
  /** WebSocket limits: subscriptions per connection, connections per user, events queued per subscriber. */
  readonly ws: {
    readonly maxSubscriptionsPerConnection: number;
    readonly maxConnectionsPerUser: number;
    readonly subscriberQueueLimit: number;
  };
  /** `standard` scrypt parameters, or `low` (test suites only). */
  readonly passwordHashCost: 'standard' | 'low';
  /** Serve Apollo Sandbox on GET /graphql (default: everywhere but production). */
  readonly sandbox: boolean;
  /**
   * GET /metrics (Prometheus). With `port`, served only on that port; otherwise on the main port,
   * behind `Authorization: Bearer <token>` when `token` is set. In production without either,
   * metrics are not served.
   */
  readonly metrics: { readonly token: string | undefined; readonly port: number | undefined };
  /** This process's name in metrics (`herald_instance` label); the host name unless set. */
  readonly instanceName: string;
  /** When PostgreSQL or Redis is unreachable at start: retry with backoff, up to `maxAttempts` tries. */
  readonly startup: { readonly retry: boolean; readonly maxAttempts: number };
  /** Fault injection for tests; only honoured with NODE_ENV=test. */
  readonly testHooks: {
    /** Stop between an event's commit and its publication (a test kills the process there). */
    readonly pauseBeforePublish: boolean;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NODE_ENVS = ['development', 'test', 'production'] as const;
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const problem = (name: string, expected: string, value: string) =>
    problems.push(`${name}: expected ${expected}, got "${value}"`);

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = read(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problem(name, `one of ${allowed.join(', ')}`, value);
    return fallback;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = read(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    problem(name, `a whole number from ${min} to ${max}`, value);
    return fallback;
  };
  const duration = (name: string, fallback: number): number => {
    const value = read(name);
    if (value === undefined) return fallback;
    const match = /^(\d+)([smhd]?)$/.exec(value);
    const seconds = match ? Number(match[1]) * DURATION_UNITS[match[2] || 's'] : 0;
    if (seconds > 0) return seconds;
    problem(name, 'a positive duration such as 900, 15m, 12h or 30d', value);
    return fallback;
  };
  const boolean = (name: string, fallback: boolean): boolean => {
    const value = read(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(value)) return true;
    if (['0', 'false', 'no'].includes(value)) return false;
    problem(name, 'true or false', value);
    return fallback;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const value = read(name);
    if (value === undefined) return undefined;
    try {
      if (protocols.includes(new URL(value).protocol)) return value;
    } catch {
      // reported below
    }
    problem(name, `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`, redactUrl(value));
    return undefined;
  };

  const secret = (name: string, minLength: number): string | undefined => {
    const value = read(name);
    if (value !== undefined && value.length < minLength) {
      problems.push(`${name}: expected at least ${minLength} characters (use \`openssl rand -hex 32\`)`);
    }
    return value;
  };

  const nodeEnv = oneOf('NODE_ENV', NODE_ENVS, 'development');
  const suppliedSecret = read('JWT_SECRET');
  if (suppliedSecret !== undefined && suppliedSecret.length < 32) {
    problems.push('JWT_SECRET: expected at least 32 characters (use `openssl rand -hex 32`)');
  }
  if (suppliedSecret === undefined && nodeEnv === 'production') {
    problems.push('JWT_SECRET: required when NODE_ENV=production (use `openssl rand -hex 32`)');
  }
  const platformAdminEmails = (read('PLATFORM_ADMIN_EMAILS') ?? '')
    .split(',')
    .map((email) => email.trim().toLowerCase())
    .filter(Boolean);
  for (const email of platformAdminEmails) {
    if (!EMAIL.test(email)) problem('PLATFORM_ADMIN_EMAILS', 'a comma-separated list of emails', email);
  }

  const config: Config = {
    nodeEnv,
    port: integer('PORT', 4000, 0, 65535),
    host: read('HOST') ?? '0.0.0.0',
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: read('REDIS_PREFIX') ?? 'herald:',
    smtpUrl: url('SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: read('MAIL_FROM') ?? 'Herald <no-reply@herald.localhost>',
    jwtSecret: suppliedSecret ?? randomBytes(32).toString('hex'),
    jwtSecretGenerated: suppliedSecret === undefined,
    accessTokenTtl: duration('ACCESS_TOKEN_TTL', 15 * 60),
    refreshTokenTtl: duration('REFRESH_TOKEN_TTL', 30 * 86400),
    platformAdminEmails,
    rateLimitAuthPerMinute: integer('RATE_LIMIT_AUTH_PER_MINUTE', 120, 1, 1_000_000),
    trustProxy: boolean('TRUST_PROXY', false),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    dataDir: read('DATA_DIR') ?? '.herald',
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    listeners: Object.freeze({
      concurrency: integer('LISTENER_CONCURRENCY', 8, 1, 256),
      pollIntervalMs: integer('LISTENER_POLL_MS', 1_000, 10, 60_000),
      leaseMs: integer('LISTENER_LEASE_MS', 120_000, 1_000, 3_600_000),
    }),
    ws: Object.freeze({
      maxSubscriptionsPerConnection: integer('WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 1000),
      maxConnectionsPerUser: integer('WS_MAX_CONNECTIONS_PER_USER', 10, 1, 10_000),
      subscriberQueueLimit: integer('SUBSCRIBER_QUEUE_LIMIT', 1000, 10, 1_000_000),
    }),
    passwordHashCost: oneOf('PASSWORD_HASH_COST', ['standard', 'low'] as const, 'standard'),
    sandbox: boolean('SANDBOX', nodeEnv !== 'production'),
    metrics: Object.freeze({
      token: secret('METRICS_TOKEN', 16),
      port: read('METRICS_PORT') === undefined ? undefined : integer('METRICS_PORT', 0, 0, 65535),
    }),
    instanceName: read('INSTANCE_NAME') ?? hostname(),
    startup: Object.freeze({
      retry: boolean('STARTUP_RETRY', true),
      maxAttempts: integer('STARTUP_MAX_ATTEMPTS', 10, 1, 10_000),
    }),
    testHooks: Object.freeze({
      pauseBeforePublish: nodeEnv === 'test' && boolean('TEST_PAUSE_BEFORE_PUBLISH', false),
    }),
  };
  if (config.passwordHashCost === 'low' && nodeEnv !== 'test') {
    problems.push('PASSWORD_HASH_COST: "low" is only allowed with NODE_ENV=test');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** Hides the password of a URL so it can be printed. */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//***@');
  }
}
