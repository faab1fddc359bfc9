import type { EntityManager } from 'typeorm';
import { isUuid } from '../db/uuid';
import { User } from '../entities';

/**
 * The user row, share-locked until the transaction ends, or null when there is none or the account
 * was erased. Whatever emails or records a user's data takes this lock first: erasure takes the
 * row's update lock, so the two never interleave (no address written after it was erased).
 */
export async function lockLiveUser(manager: EntityManager, userId: string): Promise<User | null> {
  if (!isUuid(userId)) return null;
  const user = await manager
    .createQueryBuilder(User, 'u')
    .setLock('pessimistic_read')
    .where('u.id = :userId AND u.deleted_at IS NULL', { userId })
    .getOne();
  return user;
}

/** The same, update-locked: for changes of the user row itself. */
export async function lockLiveUserForUpdate(manager: EntityManager, userId: string): Promise<User | null> {
  if (!isUuid(userId)) return null;
  return manager
    .createQueryBuilder(User, 'u')
    .setLock('pessimistic_write')
    .where('u.id = :userId AND u.deleted_at IS NULL', { userId })
    .getOne();
}

/**
 * Whether any of these users was erased, their rows share-locked until the transaction ends (so
 * an erasure under way is waited for). For listeners that copy a request's address or agent from
 * an event read before the erasure.
 */
export async function anyErased(manager: EntityManager, userIds: readonly (string | null)[]): Promise<boolean> {
  const ids = userIds.filter((id): id is string => id !== null && isUuid(id));
  if (ids.length === 0) return false;
  const rows: { erased: boolean }[] = await manager.query(
    `SELECT deleted_at IS NOT NULL AS erased FROM users WHERE id = ANY($1) FOR SHARE`,
    [ids],
  );
  return rows.some((row) => row.erased);
}
