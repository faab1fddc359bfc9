import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from './database';
import { JWT_SECRET, REDIS_URL, SECRET_KEY } from './env';
import { gql, type GraphQLResponse } from './graphql-client';
import { killServerProcesses, startServerProcess, type LogLine, type ServerProcess } from './server-process';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from './smtp-sink';

/** One Herald server process of a cluster, once it said it is ready. */
export interface HeraldInstance {
  readonly server: ServerProcess;
  /** `http://127.0.0.1:<port>`, from the ready line. */
  readonly url: string;
  /** Its id in `deliveries.locked_by` and `system.server.*` events, from the ready line. */
  readonly instanceId: string;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<GraphQLResponse<T>>;
  /** Log lines of its listener runtime that say a delivery completed (LOG_LEVEL=debug). */
  completedRuns(listener?: string): LogLine[];
}

/**
 * Herald server processes (the real start path, `src/main.ts`) that share one test database, one
 * Redis prefix and one SMTP sink: the instances of one deployment. Each process gets exactly the
 * environment built here (nothing inherited but PATH), so a developer's variables cannot leak in.
 */
export interface HeraldCluster {
  readonly db: TestDatabase;
  readonly smtp: SmtpSink;
  /** The environment every instance starts with (before its own overrides). */
  readonly env: Readonly<Record<string, string>>;
  /** Spawns an instance and waits for its ready line. */
  start(overrides?: Record<string, string>): Promise<HeraldInstance>;
  /** Kills every instance still running, closes the sink and drops the database. */
  close(): Promise<void>;
}

export const isReadyLine = (line: LogLine) => line.msg?.startsWith('Herald is ready') ?? false;

export async function startHeraldCluster(
  options: {
    env?: Record<string, string>;
    smtp?: SmtpSinkOptions;
    /** Server for the test database (default: the shared one). */
    postgresAdminUrl?: string;
  } = {},
): Promise<HeraldCluster> {
  const db = await createTestDatabase(options.postgresAdminUrl);
  const smtp = await startSmtpSink(options.smtp);
  const env = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_PREFIX: `herald-test-${randomBytes(4).toString('hex')}:`,
    SMTP_URL: smtp.url,
    JWT_SECRET,
    SECRET_KEY,
    LOG_LEVEL: 'debug',
    PASSWORD_HASH_COST: 'low',
    ...options.env,
  };
  return {
    db,
    smtp,
    env,
    start: (overrides = {}) => startInstance({ ...env, ...overrides }),
    async close() {
      await killServerProcesses();
      await smtp.close();
      await db.drop();
    },
  };
}

/** Spawns one server process with exactly `env` and waits (generously: the machine may be busy) until it is ready. */
export async function startInstance(env: Record<string, string>): Promise<HeraldInstance> {
  const server = startServerProcess(env);
  const ready = await server.waitForLog(isReadyLine, { timeoutMs: 90_000, what: '"Herald is ready"' });
  const url = String(ready.url);
  return {
    server,
    url,
    instanceId: String(ready.instanceId),
    gql: (query, variables = {}, gqlOptions = {}) => gql(url, query, variables, gqlOptions),
    completedRuns: (listener) =>
      server.logs.filter((line) => line.msg === 'listener done' && (!listener || line.listener === listener)),
  };
}
