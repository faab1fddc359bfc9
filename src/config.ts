import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseTrustProxy, type TrustProxy } from './http/client-address';

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
  /**
   * Run the event append as a named prepared statement (PostgreSQL only, never embedded). Turn off
   * behind a pooler that does not keep sessions, e.g. PgBouncer in transaction mode before 1.21.
   */
  readonly databasePreparedStatements: boolean;
  /**
   * Longest a statement may run, ms (PostgreSQL's statement_timeout on every pooled connection; 0:
   * no limit). A request that would hold the database longer fails instead of starving the others.
   */
  readonly databaseStatementTimeoutMs: number;
  /**
   * Pooled connections one GraphQL request may hold at once (its root fields, and the lists they
   * fan out to, take turns beyond that), so one request cannot take the whole pool.
   */
  readonly databaseConnectionsPerRequest: number;
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
  /**
   * Lower-cased, NFKC-normalised emails of platform admins. An account with one of them is a
   * platform admin once its email is verified (`herald admin grant` is the other way).
   */
  readonly platformAdminEmails: readonly string[];
  /**
   * Where users reach Herald, without a trailing slash: the base of the links in emails
   * (`<publicUrl>/console/verify-email?token=…`). Undefined: `http://localhost:<port>` once listening.
   */
  readonly publicUrl: string | undefined;
  /**
   * Herald's master key (SECRET_KEY, 32 bytes): the keys that derive emailed link tokens and refresh
   * successors, and that encrypt stored secrets, come from it. Undefined: outside production one is
   * generated once and kept under `dataDir` (src/auth/secret-key.ts); production requires it.
   */
  readonly secretKey: Buffer | undefined;
  /** What one user may create (platform admins are exempt). */
  readonly tenantQuotas: TenantQuotas;
  /** Verified email, password reset, invitations: lifetimes (seconds) and caps. */
  readonly accounts: AccountsConfig;
  /** Auth mutations (register, login, refreshToken) per minute per client IP, all three together. */
  readonly rateLimitAuthPerMinute: number;
  /** Each auth mutation per minute per account (the email; refreshToken: the token's user). */
  readonly rateLimitAuthPerAccountPerMinute: number;
  /**
   * `register` answers CONFLICT for an address that has an account (so people learn to sign in);
   * a client address that got this many such answers in an hour is refused `register` for the rest
   * of it (RATE_LIMITED), so the answer cannot be used to list accounts at speed.
   */
  readonly registerConflictsPerHour: number;
  /** Failed-login throttling and account locking (see src/services/login-throttle.ts). */
  readonly loginThrottle: LoginThrottleConfig;
  /**
   * The proxies in front of Herald trusted to tell the client's address in X-Forwarded-For: none
   * (false), a hop count, or their addresses/CIDRs (src/http/client-address.ts).
   */
  readonly trustProxy: TrustProxy;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where embedded mode keeps its database and mail. */
  readonly dataDir: string;
  /** How long a graceful shutdown may take before the process exits anyway, ms. */
  readonly shutdownTimeoutMs: number;
  /**
   * Listener runtime: handlers run at once per instance, fallback poll (ms), claim lease (ms,
   * renewed while a run goes on), runs of one tenant at once across instances, and listener runs
   * started per second per tenant on each instance (undefined: no rate).
   */
  readonly listeners: {
    readonly concurrency: number;
    readonly pollIntervalMs: number;
    readonly leaseMs: number;
    readonly tenantConcurrency: number;
    readonly tenantRatePerSecond: number | undefined;
  };
  /** Circuit breakers on listeners' dependencies: consecutive failures that open one, first wait before a probe (ms). */
  readonly circuitBreakers: { readonly failureThreshold: number; readonly cooldownMs: number };
  /** Signed webhooks (src/webhooks, docs/WEBHOOKS.md). */
  readonly webhooks: WebhooksConfig;
  /** Live limits: subscriptions per WebSocket, live connections per user (WebSockets and SSE streams), events queued per subscriber. */
  readonly ws: {
    readonly maxSubscriptionsPerConnection: number;
    readonly maxConnectionsPerUser: number;
    readonly subscriberQueueLimit: number;
  };
  /** Limits on one GraphQL request, the same over HTTP and WebSocket (src/graphql/operation-limits.ts). */
  readonly limits: RequestLimits;
  /** Browser-facing HTTP policy (src/http/security-headers.ts). */
  readonly http: HttpPolicy;
  /** `standard` scrypt parameters, or `low` (test suites only). */
  readonly passwordHashCost: 'standard' | 'low';
  /** The web console at /console (CONSOLE, default on): static files of `npm run build` (docs/CONSOLE.md). */
  readonly console: boolean;
  /**
   * GET /metrics (Prometheus). With `port`, served only on that port; otherwise on the main port,
   * behind `Authorization: Bearer <token>` when `token` is set. In production without either,
   * metrics are not served.
   */
  readonly metrics: { readonly token: string | undefined; readonly port: number | undefined };
  /** This process's name in metrics (`herald_instance` label); the host name unless set. */
  readonly instanceName: string;
  /** When PostgreSQL is unreachable at start: retry with backoff, up to `maxAttempts` tries (Redis is not waited for). */
  readonly startup: { readonly retry: boolean; readonly maxAttempts: number };
  /** Fault injection for tests; only honoured with NODE_ENV=test. */
  readonly testHooks: {
    /** Stop between an event's commit and its publication (a test kills the process there). */
    readonly pauseBeforePublish: boolean;
  };
}

/** Signed webhooks; durations in ms. */
export interface WebhooksConfig {
  /**
   * WEBHOOK_RETRY_SCHEDULE: the wait before each attempt, the first being 0 (at once); Svix's
   * schedule by default (0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts over about 28 h).
   */
  readonly retryScheduleMs: readonly number[];
  /**
   * WEBHOOK_ALLOW_PRIVATE_NETWORKS: deliver to loopback, private, link-local, CGNAT, multicast and
   * metadata addresses, and over http://. For tests and local development only.
   */
  readonly allowPrivateNetworks: boolean;
  /** Whether http:// URLs are accepted: with the flag above, or outside production. */
  readonly allowHttp: boolean;
  /** WEBHOOK_TIMEOUT: one request's time limit (15 s). */
  readonly timeoutMs: number;
  /** WEBHOOK_DISABLE_AFTER: an endpoint with no success for this long after a failure is disabled (5 days). */
  readonly disableAfterMs: number;
  /** WEBHOOK_ENDPOINT_CONCURRENCY: requests to one endpoint at once, across instances (4). */
  readonly endpointConcurrency: number;
}

/** Thresholds of failed-login throttling; durations in seconds. */
export interface LoginThrottleConfig {
  /** Failures of one account from one IP before that pair waits between tries. */
  readonly afterFailures: number;
  /** Failures from one IP, across accounts, before that IP waits between tries (password spraying). */
  readonly ipAfterFailures: number;
  /** The first wait; it doubles with each further failure. */
  readonly baseDelaySeconds: number;
  /** The longest wait. */
  readonly maxDelaySeconds: number;
  /** A counter with no failure for this long starts again from zero. */
  readonly windowSeconds: number;
  /** Failures of one account, from any IPs, that lock it (then `auth.account.locked` and an email). */
  readonly lockAfterFailures: number;
  /** How long a lock lasts. */
  readonly lockSeconds: number;
}

/** Quotas on creating tenants; platform admins are exempt. */
export interface TenantQuotas {
  /** Live tenants one user may have created (TENANTS_PER_USER, 10). */
  readonly perUser: number;
  /** Tenants one user may create in any hour, deleted ones included (TENANT_CREATIONS_PER_USER_PER_HOUR, 5). */
  readonly creationsPerHour: number;
}

/** Lifetimes in seconds. */
export interface AccountsConfig {
  /** How long an email verification link works (EMAIL_VERIFICATION_TTL, 48h). */
  readonly emailVerificationTtl: number;
  /** How long a password reset link works (PASSWORD_RESET_TTL, 30m). */
  readonly passwordResetTtl: number;
  /** How long an invitation stays open (INVITATION_TTL, 7d). */
  readonly invitationTtl: number;
  /** When the reminder to verify goes out after registration, if still unverified (24h). */
  readonly verificationReminderAfter: number;
  /** Emails a person can ask for (verification, reset) per address per hour. */
  readonly emailRequestsPerAddressPerHour: number;
  /** Invitations one tenant may send (or resend) per day. */
  readonly invitationsPerTenantPerDay: number;
  /** PENDING invitations one address may hold, across all tenants. */
  readonly pendingInvitationsPerAddress: number;
}

/** Limits on one request; each exceeded one answers LIMIT_EXCEEDED naming it. */
export interface RequestLimits {
  /** Nesting of selection sets (introspection's `__schema` is exempt). */
  readonly maxDepth: number;
  /** Aliased fields in one operation. */
  readonly maxAliases: number;
  /** Fields selected at the root of one operation. */
  readonly maxRootFields: number;
  /** The operation's cost, graphql-armor's formula with variables' values (src/graphql/operation-cost.ts). */
  readonly maxCost: number;
  /** Lexical tokens in the document, counted before it is parsed. */
  readonly maxTokens: number;
  /** Directives in one operation. */
  readonly maxDirectives: number;
  /** JSON body of an HTTP request, bytes. */
  readonly requestBodyBytes: number;
  /** One WebSocket message, bytes; a bigger one closes the socket with 1009. */
  readonly wsMaxPayloadBytes: number;
}

export interface HttpPolicy {
  /**
   * Origins whose browser pages may call the API (CORS): exact origins such as
   * `https://app.example.com`, `localhost` for any port of localhost/127.0.0.1/[::1], or `*`.
   * Empty: no cross-origin access.
   */
  readonly corsOrigins: readonly string[];
  /** Schema introspection over HTTP and WebSocket. */
  readonly introspection: boolean;
  /** Apollo Sandbox as the landing page of GET /graphql. */
  readonly sandbox: boolean;
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
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

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
  const size = (name: string, fallback: number, min: number, max: number): number => {
    const value = read(name)?.toLowerCase();
    if (value === undefined) return fallback;
    const match = /^(\d+)\s*(b|kb|mb)?$/.exec(value);
    const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2] ?? 'b'] : NaN;
    if (bytes >= min && bytes <= max) return bytes;
    problem(name, `a size from ${min / 1024}kb to ${max / 1024 / 1024}mb, such as 100kb`, value);
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
    .map((email) => email.normalize('NFKC').trim().toLowerCase())
    .filter(Boolean);
  for (const email of platformAdminEmails) {
    if (!EMAIL.test(email)) problem('PLATFORM_ADMIN_EMAILS', 'a comma-separated list of emails', email);
  }

  const config: Config = {
    nodeEnv,
    port: integer('PORT', 4000, 0, 65535),
    host: read('HOST') ?? '0.0.0.0',
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePreparedStatements: boolean('DATABASE_PREPARED_STATEMENTS', true),
    databaseStatementTimeoutMs: integer('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    databaseConnectionsPerRequest: integer('DATABASE_CONNECTIONS_PER_REQUEST', 4, 1, 100),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: read('REDIS_PREFIX') ?? 'herald:',
    smtpUrl: url('SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: read('MAIL_FROM') ?? 'Herald <no-reply@herald.localhost>',
    jwtSecret: suppliedSecret ?? randomBytes(32).toString('hex'),
    jwtSecretGenerated: suppliedSecret === undefined,
    accessTokenTtl: duration('ACCESS_TOKEN_TTL', 15 * 60),
    refreshTokenTtl: duration('REFRESH_TOKEN_TTL', 30 * 86400),
    platformAdminEmails: Object.freeze(platformAdminEmails), // shared with services: nobody may add an admin at run time
    publicUrl: publicUrl(read('PUBLIC_URL'), problems),
    secretKey: secretKey(read('SECRET_KEY'), nodeEnv, problems),
    tenantQuotas: Object.freeze({
      perUser: integer('TENANTS_PER_USER', 10, 1, 1_000_000),
      creationsPerHour: integer('TENANT_CREATIONS_PER_USER_PER_HOUR', 5, 1, 1_000_000),
    }),
    accounts: Object.freeze({
      emailVerificationTtl: duration('EMAIL_VERIFICATION_TTL', 48 * 3600),
      passwordResetTtl: duration('PASSWORD_RESET_TTL', 30 * 60),
      invitationTtl: duration('INVITATION_TTL', 7 * 86400),
      verificationReminderAfter: duration('VERIFICATION_REMINDER_AFTER', 24 * 3600),
      emailRequestsPerAddressPerHour: integer('EMAIL_REQUESTS_PER_ADDRESS_PER_HOUR', 5, 1, 1_000),
      invitationsPerTenantPerDay: integer('INVITATIONS_PER_TENANT_PER_DAY', 100, 1, 100_000),
      pendingInvitationsPerAddress: integer('PENDING_INVITATIONS_PER_ADDRESS', 5, 1, 1_000),
    }),
    rateLimitAuthPerMinute: integer('RATE_LIMIT_AUTH_PER_MINUTE', 120, 1, 1_000_000),
    rateLimitAuthPerAccountPerMinute: integer('RATE_LIMIT_AUTH_PER_ACCOUNT_PER_MINUTE', 20, 1, 1_000_000),
    registerConflictsPerHour: integer('REGISTER_CONFLICTS_PER_HOUR', 10, 1, 1_000_000),
    loginThrottle: Object.freeze({
      afterFailures: integer('LOGIN_THROTTLE_AFTER_FAILURES', 5, 1, 1_000),
      ipAfterFailures: integer('LOGIN_THROTTLE_IP_AFTER_FAILURES', 20, 1, 100_000),
      baseDelaySeconds: duration('LOGIN_THROTTLE_BASE_DELAY', 1),
      maxDelaySeconds: duration('LOGIN_THROTTLE_MAX_DELAY', 15 * 60),
      windowSeconds: duration('LOGIN_THROTTLE_WINDOW', 60 * 60),
      lockAfterFailures: integer('LOGIN_LOCK_AFTER_FAILURES', 20, 1, 100_000),
      lockSeconds: duration('LOGIN_LOCK_DURATION', 15 * 60),
    }),
    trustProxy: trustProxy(read('TRUST_PROXY'), problems),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    dataDir: read('DATA_DIR') ?? '.herald',
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    listeners: Object.freeze({
      concurrency: integer('LISTENER_CONCURRENCY', 32, 1, 256),
      pollIntervalMs: integer('LISTENER_POLL_MS', 1_000, 10, 60_000),
      leaseMs: integer('LISTENER_LEASE_MS', 15_000, 1_000, 3_600_000),
      tenantConcurrency: integer('LISTENER_TENANT_CONCURRENCY', 16, 1, 10_000),
      tenantRatePerSecond:
        read('LISTENER_TENANT_RATE_PER_SECOND') === undefined ? undefined : integer('LISTENER_TENANT_RATE_PER_SECOND', 0, 1, 1_000_000),
    }),
    circuitBreakers: Object.freeze({
      failureThreshold: integer('CIRCUIT_BREAKER_FAILURES', 5, 1, 1_000),
      cooldownMs: integer('CIRCUIT_BREAKER_COOLDOWN_MS', 10_000, 100, 3_600_000),
    }),
    webhooks: Object.freeze(webhooksConfig(nodeEnv, { read, boolean, integer, problems })),
    ws: Object.freeze({
      maxSubscriptionsPerConnection: integer('WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 1000),
      maxConnectionsPerUser: integer('WS_MAX_CONNECTIONS_PER_USER', 10, 1, 10_000),
      subscriberQueueLimit: integer('SUBSCRIBER_QUEUE_LIMIT', 1000, 10, 1_000_000),
    }),
    limits: Object.freeze({
      maxDepth: integer('GRAPHQL_MAX_DEPTH', 10, 1, 100),
      maxAliases: integer('GRAPHQL_MAX_ALIASES', 15, 0, 1000),
      maxRootFields: integer('GRAPHQL_MAX_ROOT_FIELDS', 20, 1, 1000),
      maxCost: integer('GRAPHQL_MAX_COST', 20_000, 1, 10_000_000),
      maxTokens: integer('GRAPHQL_MAX_TOKENS', 1_000, 10, 1_000_000),
      maxDirectives: integer('GRAPHQL_MAX_DIRECTIVES', 50, 0, 1000),
      requestBodyBytes: size('REQUEST_BODY_LIMIT', 100 * 1024, 1024, 64 * 1024 * 1024),
      wsMaxPayloadBytes: size('WS_MAX_PAYLOAD', 100 * 1024, 1024, 64 * 1024 * 1024),
    }),
    http: Object.freeze(httpPolicy(nodeEnv, { read, boolean, problems })),
    passwordHashCost: oneOf('PASSWORD_HASH_COST', ['standard', 'low'] as const, 'standard'),
    console: boolean('CONSOLE', true),
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
  if (config.loginThrottle.maxDelaySeconds > config.loginThrottle.windowSeconds) {
    // A wait longer than the window would outlast the counters it is computed from.
    problems.push('LOGIN_THROTTLE_MAX_DELAY: must not be longer than LOGIN_THROTTLE_WINDOW');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/**
 * CORS_ORIGINS, INTROSPECTION and SANDBOX. Outside production the defaults suit a developer: pages on
 * localhost may call the API, Sandbox and introspection are on. In production all three are off
 * unless configured. Sandbox reads the schema by introspection, so it needs INTROSPECTION on.
 */
function httpPolicy(
  nodeEnv: Config['nodeEnv'],
  env: {
    read: (name: string) => string | undefined;
    boolean: (name: string, fallback: boolean) => boolean;
    problems: string[];
  },
): HttpPolicy {
  const { read, boolean, problems } = env;
  const development = nodeEnv !== 'production';
  const sandbox = boolean('SANDBOX', development);
  const introspection = boolean('INTROSPECTION', development || sandbox);
  if (sandbox && !introspection) problems.push('SANDBOX: Sandbox needs INTROSPECTION=true (it reads the schema by introspection)');

  const listed = read('CORS_ORIGINS');
  const corsOrigins = (listed ?? (development ? 'localhost' : 'none')).split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (['none', 'localhost', '*'].includes(origin)) continue;
    if (!isOrigin(origin)) {
      problems.push(`CORS_ORIGINS: expected origins such as https://app.example.com (scheme, host, port; no path or trailing slash), localhost, * or none; got "${origin}"`);
    }
  }
  return { corsOrigins: Object.freeze(corsOrigins.filter((origin) => origin !== 'none')), introspection, sandbox };
}

function trustProxy(value: string | undefined, problems: string[]): TrustProxy {
  const parsed = parseTrustProxy(value);
  if ('trust' in parsed) return parsed.trust;
  problems.push(parsed.problem);
  return false;
}

/** WEBHOOK_*: see WebhooksConfig. */
function webhooksConfig(
  nodeEnv: Config['nodeEnv'],
  env: {
    read: (name: string) => string | undefined;
    boolean: (name: string, fallback: boolean) => boolean;
    integer: (name: string, fallback: number, min: number, max: number) => number;
    problems: string[];
  },
): WebhooksConfig {
  const { read, boolean, integer, problems } = env;
  const allowPrivateNetworks = boolean('WEBHOOK_ALLOW_PRIVATE_NETWORKS', false);
  const durationMs = (name: string, value: string): number | null => {
    const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
    if (!match) {
      problems.push(`${name}: expected durations such as 0, 500ms, 5s, 30m, 2h or 5d, got "${value.trim()}"`);
      return null;
    }
    return Number(match[1]) * MS_UNITS[match[2] ?? 'ms'];
  };
  const one = (name: string, fallback: number): number => {
    const value = read(name);
    return value === undefined ? fallback : (durationMs(name, value) ?? fallback);
  };
  const listed = read('WEBHOOK_RETRY_SCHEDULE');
  let retryScheduleMs = DEFAULT_WEBHOOK_SCHEDULE_MS;
  if (listed !== undefined) {
    const parsed = listed.split(',').map((entry) => durationMs('WEBHOOK_RETRY_SCHEDULE', entry));
    if (parsed.every((ms): ms is number => ms !== null)) {
      if (parsed[0] !== 0 || parsed.length > 20 || parsed.some((ms) => ms > 7 * 86_400_000)) {
        problems.push(
          'WEBHOOK_RETRY_SCHEDULE: expected up to 20 comma-separated waits before each attempt, the first 0 (at once), none over 7d, such as 0,5s,5m,30m,2h,5h,10h,10h',
        );
      } else {
        retryScheduleMs = parsed;
      }
    }
  }
  return {
    retryScheduleMs: Object.freeze(retryScheduleMs),
    allowPrivateNetworks,
    allowHttp: allowPrivateNetworks || nodeEnv !== 'production',
    timeoutMs: one('WEBHOOK_TIMEOUT', 15_000),
    disableAfterMs: one('WEBHOOK_DISABLE_AFTER', 5 * 86_400_000),
    endpointConcurrency: integer('WEBHOOK_ENDPOINT_CONCURRENCY', 4, 1, 1_000),
  };
}

const MS_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Svix's schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
const DEFAULT_WEBHOOK_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** PUBLIC_URL: an http(s) URL without query or fragment; kept without its trailing slash. */
function publicUrl(value: string | undefined, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (['http:', 'https:'].includes(url.protocol) && !url.search && !url.hash && !url.username) {
      return url.toString().replace(/\/+$/, '');
    }
  } catch {
    // reported below
  }
  problems.push(`PUBLIC_URL: expected the address users reach Herald at, such as https://herald.example.com, got "${value}"`);
  return undefined;
}

/** SECRET_KEY: 32 random bytes as 64 hex characters or base64; required in production. */
function secretKey(value: string | undefined, nodeEnv: Config['nodeEnv'], problems: string[]): Buffer | undefined {
  if (value === undefined) {
    if (nodeEnv === 'production') problems.push('SECRET_KEY: required when NODE_ENV=production (use `openssl rand -hex 32`)');
    return undefined;
  }
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length === 32 && (/^[0-9a-f]{64}$/i.test(value) || key.toString('base64') === value)) return key;
  problems.push('SECRET_KEY: expected 32 bytes as 64 hex characters or base64 (use `openssl rand -hex 32`)');
  return undefined;
}

/** True for a web origin exactly as browsers send it: `https://host[:port]`, no path. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return ['http:', 'https:'].includes(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
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
