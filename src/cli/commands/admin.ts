import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { openDatabase, operatorContext } from '../cli-database';
import { CliError } from '../cli-error';
import { eventContextOf } from '../../services/request-context';

/**
 * `herald admin grant|revoke <email>`: the explicit grant (users.is_platform_admin), recorded as
 * `user.profile.updated` (fields: isPlatformAdmin), so the change is in the audit trail. It applies
 * to the user's next request: whether a viewer is an admin is derived on every request (a grant,
 * or a verified PLATFORM_ADMIN_EMAILS address).
 */
export async function adminCommand(
  config: Config,
  logger: Logger,
  out: NodeJS.WritableStream,
  args: { grant: boolean; email: string },
): Promise<void> {
  const email = args.email.trim().toLowerCase();
  const db = await openDatabase(config, logger);
  try {
    const outcome = await db.transactions.run({ actorId: null, context: eventContextOf(operatorContext()) }, async (tx) => {
      const [user]: { id: string; is_platform_admin: boolean }[] = await tx.manager.query(
        `SELECT id, is_platform_admin FROM users WHERE email = $1 FOR UPDATE`,
        [email],
      );
      if (!user) return null;
      if (user.is_platform_admin === args.grant) return 'unchanged' as const;
      await tx.manager.query(`UPDATE users SET is_platform_admin = $2, updated_at = now() WHERE id = $1`, [user.id, args.grant]);
      tx.record('user.profile.updated', { userId: user.id, fields: ['isPlatformAdmin'] });
      return 'changed' as const;
    });
    if (outcome === null) throw new CliError(`no user with email ${email} in ${db.where}`);
    const role = args.grant ? 'is a platform admin' : 'is no longer a platform admin';
    out.write(`${email} ${outcome === 'unchanged' ? (args.grant ? 'was a platform admin already' : 'was not a platform admin') : role}\n`);
    if (!args.grant && config.platformAdminEmails.includes(email)) {
      out.write(`note: ${email} is in PLATFORM_ADMIN_EMAILS, so it stays a platform admin while its address is verified; remove it there too\n`);
    }
  } finally {
    await db.close();
  }
}
