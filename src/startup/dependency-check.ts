import { Redis } from 'ioredis';
import { Client } from 'pg';
import { redactUrl } from '../config';
import { StartupError } from '../errors/startup-error';
import type { Logger } from '../logger';

const CONNECT_TIMEOUT_MS = 5_000;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

interface Dependency {
  name: 'PostgreSQL' | 'Redis';
  variable: 'DATABASE_URL' | 'REDIS_URL';
  url: string;
  /** Resolves when the service answers; rejects with the reason it did not. */
  check: () => Promise<void>;
}

/** What Herald does without Redis, said when it starts without it. */
const WITHOUT_REDIS =
  'starting without it: listeners and live streams poll the database, and events are published when it answers';

export interface DependencyCheckOptions {
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Retry with backoff (true) or fail at the first miss (false). */
  retry: boolean;
  /** Tries per dependency, the first included. */
  maxAttempts: number;
  logger: Logger;
  /** Aborting (a shutdown during start-up) ends the wait at once. */
  signal?: AbortSignal;
  /** First delay between tries, ms (doubles up to 10 s). */
  firstRetryMs?: number;
  /** Whether the final message names the setting that made it give up (the server's do; the CLI's not). */
  nameTheSetting?: boolean;
}

/**
 * Waits until PostgreSQL (when configured) answers, before anything is built on it. Each miss is
 * one log line saying where (password hidden) and what to check; then it retries with backoff, or
 * throws a StartupError with that line when out of tries. Redis (when configured) is tried once:
 * Herald serves without it (its pub/sub is a fast path, never the record), so a miss is one
 * warning saying the same, and the instance starts; it uses Redis as soon as Redis answers.
 */
export async function waitForDependencies(options: DependencyCheckOptions): Promise<void> {
  if (options.databaseUrl) {
    const url = options.databaseUrl;
    await waitFor({ name: 'PostgreSQL', variable: 'DATABASE_URL', url, check: () => checkPostgres(url) }, options);
  }
  if (options.redisUrl) {
    const url = options.redisUrl;
    const redis: Dependency = { name: 'Redis', variable: 'REDIS_URL', url, check: () => checkRedis(url) };
    await redis.check().catch((error) => options.logger.warn({ dependency: 'Redis' }, `${describe(redis, error)}; ${WITHOUT_REDIS}`));
  }
}

async function waitFor(dependency: Dependency, options: DependencyCheckOptions): Promise<void> {
  const maxAttempts = options.retry ? options.maxAttempts : 1;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new StartupError(`Start-up was cancelled while waiting for ${dependency.name}`);
    try {
      await dependency.check();
      if (attempt > 1) options.logger.info({ dependency: dependency.name }, `${dependency.name} is reachable`);
      return;
    } catch (error) {
      const problem = describe(dependency, error);
      if (attempt >= maxAttempts) {
        if (options.nameTheSetting === false) throw new StartupError(problem);
        const ending = options.retry ? `gave up after ${attempt} attempts (STARTUP_MAX_ATTEMPTS)` : 'not retrying (STARTUP_RETRY=false)';
        throw new StartupError(`${problem}; ${ending}`);
      }
      const delay = Math.min((options.firstRetryMs ?? FIRST_RETRY_MS) * 2 ** (attempt - 1), MAX_RETRY_MS);
      options.logger.warn(
        { dependency: dependency.name, attempt, maxAttempts, retryInMs: delay },
        `${problem}; retrying in ${formatSeconds(delay)} (attempt ${attempt} of ${maxAttempts})`,
      );
      await sleep(delay, options.signal);
    }
  }
}

/** "PostgreSQL is unreachable at <url> (<reason>): <what to check>". */
function describe(dependency: Dependency, error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  const reason = (message ?? String(error)).split('\n')[0].slice(0, 200);
  return `${dependency.name} is unreachable at ${redactUrl(dependency.url)} (${reason}): ${hint(dependency, code, reason)}`;
}

function hint(dependency: Dependency, code: string | undefined, reason: string): string {
  const service = dependency.name;
  switch (code) {
    case 'ECONNREFUSED':
      return `is ${service} running and listening on that host and port? Start it, or fix ${dependency.variable}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve: fix the host in ${dependency.variable}`;
    case '28P01':
    case '28000':
      return `the server refused the credentials: fix the user and password in ${dependency.variable}`;
    case '3D000':
      return `the database does not exist: create it (createdb) or fix its name in ${dependency.variable}`;
  }
  if (/timeout|timed out/i.test(reason)) return `no answer in ${CONNECT_TIMEOUT_MS / 1000} s: check the host, port and firewall in ${dependency.variable}`;
  if (/NOAUTH|WRONGPASS|invalid password/i.test(reason)) return `the server refused the credentials: fix the password in ${dependency.variable}`;
  return `check that ${service} is running and that ${dependency.variable} points to it`;
}

async function checkPostgres(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined); // a failure is reported through connect()'s rejection
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null, // one try here; this function does the retrying
  });
  // connect() rejects with "Connection is closed."; the 'error' event carries the reason (ECONNREFUSED...).
  let cause: unknown;
  client.on('error', (error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    client.disconnect();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
