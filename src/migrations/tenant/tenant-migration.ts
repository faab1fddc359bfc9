import type { EntityManager } from 'typeorm';

/**
 * A migration of the tables inside every tenant's schema. `up` runs in a transaction whose
 * search_path is that schema alone, so it names tables unqualified. Versions are increasing
 * numbers (the time of writing in ms, like the landlord migrations): a new migration's version must
 * be greater than every released one, because start-up compares each tenant's newest applied
 * version with the newest known one to find the tenants to migrate.
 */
export interface TenantMigration {
  readonly version: number;
  readonly name: string;
  up(db: EntityManager): Promise<void>;
}
