import path from 'node:path';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { redactUrl, type Config } from '../config';
import { createDataSource } from '../db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded-postgres';
import { EventStore } from '../events/event-store';
import { listenerDelays, listenerDependencies, listenerNamesByEvent } from '../events/listener';
import { tenantsOfUserSql } from '../services/tenant-access';
import { Transactions } from '../events/transactions';
import { listenerRoutes } from '../listeners';
import type { Logger } from '../logger';
import type { Mailer } from '../mail/mailer';
import type { RequestContext } from '../services/request-context';
import { waitForDependencies } from '../startup/dependency-check';
import { webhookDeliveriesSql } from '../webhooks/webhook-routing';
import { CliError } from './cli-error';

export interface CliDatabase {
  dataSource: DataSource;
  /** Where it is, for messages (password hidden). */
  where: string;
  /** Units of work that record their events like the server's do (delivery rows included). */
  transactions: Transactions;
  close(): Promise<void>;
}

/**
 * Opens the database the server would use: DATABASE_URL, or the embedded one under DATA_DIR
 * (only while no server has it open). Unless `allowPending`, a database with migrations still to
 * run is refused with what to do.
 */
export async function openDatabase(config: Config, logger: Logger, options: { allowPending?: boolean } = {}): Promise<CliDatabase> {
  let embedded: EmbeddedPostgres | null = null;
  let url = config.databaseUrl;
  if (url) {
    await waitForDependencies({ databaseUrl: url, redisUrl: undefined, retry: false, maxAttempts: 1, logger, nameTheSetting: false });
  } else {
    embedded = await startEmbeddedPostgres(path.resolve(config.dataDir, 'db'), logger);
    url = embedded.url;
  }
  const where = config.databaseUrl ? redactUrl(config.databaseUrl) : `the embedded database in ${path.resolve(config.dataDir, 'db')}`;
  const dataSource = createDataSource(url, { embedded: embedded !== null, applicationName: `herald-cli:${uuidv7()}` });
  const close = async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  };
  try {
    await dataSource.initialize();
    if (!options.allowPending && (await dataSource.showMigrations())) {
      throw new CliError(`${where} is not migrated yet: run \`npx herald migrate\` (or start the server once)`);
    }
  } catch (error) {
    await close();
    throw error;
  }
  // Events recorded here get the same delivery rows as the server's; a running server's sweep
  // publishes them within seconds, and its listeners' poll picks the deliveries up.
  const listeners = listenerRoutes(config.accounts);
  const store = new EventStore(listenerNamesByEvent(listeners), tenantsOfUserSql, {
    delayOf: listenerDelays(listeners),
    dependencyOf: listenerDependencies(listeners),
    targetedDeliveries: webhookDeliveriesSql,
  });
  const transactions = new Transactions(dataSource, store, () => undefined);
  return { dataSource, where, transactions, close };
}

/** The CLI acts as a platform admin: whoever can reach the database can do anything anyway. */
export function operatorContext(): RequestContext {
  return {
    requestId: `cli-${uuidv7()}`,
    ip: null,
    userAgent: 'herald-cli',
    viewer: {
      userId: 'cli',
      sessionId: 'cli',
      email: 'cli',
      emailVerified: true,
      isPlatformAdmin: true,
      tokenExpiresAt: Number.MAX_SAFE_INTEGER,
      operator: true,
    },
  };
}
