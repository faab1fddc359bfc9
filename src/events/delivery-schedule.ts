/**
 * Where delivery rows wait, in one place: the SQL of the claims, the event store's appends and the
 * runtime's releases agree on these.
 */

/**
 * A delivery due at least this much later is written *held* (`held_until` set): out of the
 * claimable set until shortly before it is due. So reminders due in days, and retries backing off
 * for minutes, cost nothing to the claims of the work due now.
 */
export const HOLD_AFTER_MS = 5_000;

/** Held rows are released into the claimable set this long before they are due. */
export const RELEASE_AHEAD_MS = 2_000;

/** The queue of platform-level rows (events with no tenant): the nil uuid. */
export const PLATFORM_QUEUE = '00000000-0000-0000-0000-000000000000';

/**
 * The queue of the delivery rows of alias `d`: its tenant, or PLATFORM_QUEUE. The same expression
 * as the indexes `deliveries_claimable` and `deliveries_running` (migration 1764500000000), or
 * PostgreSQL cannot use them.
 */
export function tenantQueue(d: string): string {
  return `coalesce(${d}.tenant_id, '${PLATFORM_QUEUE}'::uuid)`;
}
