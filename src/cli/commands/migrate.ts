import type { Config } from '../../config';
import { migrate } from '../../db/data-source';
import { TenantDatabase } from '../../db/tenant-database';
import { TenantMigrator } from '../../db/tenant-migrator';
import type { Logger } from '../../logger';
import { TENANT_MIGRATIONS } from '../../migrations/tenant';
import { CliError } from '../cli-error';
import { openDatabase } from '../cli-database';

/** `herald migrate`: the landlord migrations, then every tenant schema that is behind (as start-up does). */
export async function migrateCommand(config: Config, logger: Logger, out: NodeJS.WritableStream): Promise<void> {
  const db = await openDatabase(config, logger, { allowPending: true });
  try {
    const pending = await db.dataSource.showMigrations();
    const embedded = !config.databaseUrl;
    // The same advisory lock as the server's start-up: safe while instances start.
    await migrate(db.dataSource, embedded);
    const tenants = new TenantMigrator(db.dataSource, new TenantDatabase(db.dataSource), TENANT_MIGRATIONS, logger);
    const report = await tenants.migrateAll({ concurrency: embedded ? 1 : 4 });
    if (report.failed > 0) {
      throw new CliError(`${report.failed} of ${report.behind} tenant schemas failed to migrate; see the log (${db.where})`);
    }
    out.write(
      `${pending ? 'landlord schema migrated' : 'landlord schema already up to date'}; ` +
        `${report.migrated} tenant schema${report.migrated === 1 ? '' : 's'} migrated (${db.where})\n`,
    );
  } finally {
    await db.close();
  }
}
