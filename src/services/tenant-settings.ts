import type { EntityManager } from 'typeorm';

/** What onboarding writes into a new tenant's settings; a tenant changes them later. */
export const DEFAULT_TENANT_SETTINGS: Readonly<Record<string, unknown>> = {
  locale: 'en',
  timeZone: 'UTC',
  'auditLog.retentionDays': 365,
};

/** The settings key naming the tenant's admin user (its owner at creation). */
export const ADMIN_USER_SETTING = 'admin.userId';

/**
 * Writes settings in a tenant's `settings` table; `db` must come from TenantDatabase. Keys that
 * exist keep their value unless `overwrite` is set, so onboarding never undoes a tenant's choice.
 */
export async function putTenantSettings(
  db: EntityManager,
  settings: Readonly<Record<string, unknown>>,
  options: { overwrite: boolean },
): Promise<void> {
  const keys = Object.keys(settings);
  await db.query(
    `INSERT INTO settings (key, value)
     SELECT key, value FROM unnest($1::varchar[], $2::jsonb[]) AS s(key, value)
     ON CONFLICT (key) DO ${options.overwrite ? 'UPDATE SET value = EXCLUDED.value, updated_at = now()' : 'NOTHING'}`,
    [keys, keys.map((key) => JSON.stringify(settings[key]))],
  );
}
