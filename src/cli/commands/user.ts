import { LinkTokens } from '../../auth/link-tokens';
import { PasswordHasher, SCRYPT_PARAMS } from '../../auth/password-hasher';
import { loadMasterKey, ServerKeys } from '../../auth/secret-key';
import type { Config } from '../../config';
import { DomainError } from '../../errors/domain-errors';
import type { Logger } from '../../logger';
import { EmailLinks } from '../../mail/email-links';
import { EmailRequestLimits } from '../../services/email-request-limits';
import { EmailVerificationService } from '../../services/email-verification-service';
import { LinkTokenStore } from '../../services/link-token-store';
import { PasswordCheck } from '../../services/password-check';
import { SupportService } from '../../services/support-service';
import { openDatabase, operatorContext } from '../cli-database';
import { CliError } from '../cli-error';

/** The support tools a platform admin has in the API, from a shell: `herald user …`. */
export type UserAction = 'unlock' | 'resend-verification' | 'end-sessions';

/**
 * `herald user unlock|resend-verification|end-sessions <email>`: the same service as the API's,
 * recorded as events of nobody (the command line has no account) and audited. A verification email
 * is queued here and sent by a running server (its link carries a token made with SECRET_KEY, so
 * the command and the server must share it: the same SECRET_KEY, or the same DATA_DIR).
 */
export async function userCommand(
  config: Config,
  logger: Logger,
  out: NodeJS.WritableStream,
  args: { action: UserAction; email: string },
): Promise<void> {
  const db = await openDatabase(config, logger);
  try {
    const support = await supportService(config, logger, db);
    const ctx = operatorContext();
    const said = await (async () => {
      switch (args.action) {
        case 'unlock':
          return (await support.unlockAccount(ctx, args.email)) ? 'unlocked' : 'was not locked (its failures are forgotten anyway)';
        case 'resend-verification':
          await support.sendVerificationEmail(ctx, args.email);
          return 'has a new verification link on its way (a running server sends it)';
        case 'end-sessions': {
          const ended = await support.endUserSessions(ctx, args.email);
          return `has no session left (${ended} ended)`;
        }
      }
    })().catch((error: unknown) => {
      if (error instanceof DomainError) throw new CliError(error.message);
      throw error;
    });
    out.write(`${args.email.trim().toLowerCase()} ${said}\n`);
  } finally {
    await db.close();
  }
}

async function supportService(config: Config, logger: Logger, db: Awaited<ReturnType<typeof openDatabase>>): Promise<SupportService> {
  const keys = new ServerKeys(await loadMasterKey(config.secretKey, config.dataDir, logger));
  const links = new EmailLinks(() => config.publicUrl ?? `http://localhost:${config.port}`);
  const verification = new EmailVerificationService(
    db.dataSource,
    db.transactions,
    new LinkTokenStore(new LinkTokens(keys.key('link-tokens'))),
    new PasswordCheck(db.dataSource, db.transactions, new PasswordHasher(SCRYPT_PARAMS), config.loginThrottle),
    new EmailRequestLimits({ prefix: config.redisPrefix, perAddressPerHour: config.accounts.emailRequestsPerAddressPerHour }, logger),
    links,
    config.accounts,
  );
  return new SupportService(db.dataSource, db.transactions, verification);
}
