import type { Config } from '../../config';
import { migrate } from '../../db/data-source';
import { migrateTenantSchemas } from '../../db/tenant-migrations';
import type { Logger } from '../../logger';
import { openDatabase } from '../cli-database';

/** `herald migrate`: the landlord migrations, then every tenant schema's (src/db/tenant-migrations.ts). */
export async function migrateCommand(config: Config, logger: Logger, out: NodeJS.WritableStream): Promise<void> {
  const db = await openDatabase(config, logger, { allowPending: true });
  try {
    const pending = await db.dataSource.showMigrations();
    // The same advisory lock as the server's start-up: safe while instances start.
    await migrate(db.dataSource, !config.databaseUrl);
    const tenants = await migrateTenantSchemas(db.dataSource, logger);
    out.write(
      `${pending ? 'landlord schema migrated' : 'landlord schema already up to date'}; ` +
        `${tenants} tenant schema${tenants === 1 ? '' : 's'} migrated (${db.where})\n`,
    );
  } finally {
    await db.close();
  }
}
