import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config';
import { DomainError } from '../errors/domain-errors';
import { StartupError } from '../errors/startup-error';
import { createLogger, type Logger } from '../logger';
import { adminCommand } from './commands/admin';
import { listDeliveriesCommand, retryDeliveryCommand } from './commands/deliveries';
import { tailEventsCommand } from './commands/events-tail';
import { migrateCommand } from './commands/migrate';
import { userCommand, type UserAction } from './commands/user';
import { CliError } from './cli-error';

/**
 * `npx herald <command>`: operating Herald from a shell. Every command works on the database
 * the server uses (DATABASE_URL, or the embedded one under DATA_DIR while no server has it open),
 * configured by the same environment variables as the server.
 */
export function buildProgram(run: (action: (config: Config, logger: Logger) => Promise<void>) => Promise<void>): Command {
  const out = process.stdout;
  const program = new Command('herald')
    .description('Operate a Herald deployment: migrations, the event store, deliveries, platform admins.')
    .addHelpText(
      'after',
      `
Configuration comes from the environment, as for the server: DATABASE_URL (or the embedded
database under DATA_DIR when unset; stop the server first), PLATFORM_ADMIN_EMAILS, LOG_LEVEL.

Examples:
  DATABASE_URL=postgres://herald@db/herald npx herald migrate
  npx herald events tail --names user.registered,user.login --after 1200
  npx herald deliveries list --status dead
  npx herald deliveries retry 42
  npx herald admin grant ada@example.com
  npx herald user unlock ada@example.com`,
    )
    .showHelpAfterError('(add --help for usage)');

  program
    .command('migrate')
    .description('run pending landlord migrations, then migrate every tenant schema')
    .action(() => run((config, logger) => migrateCommand(config, logger, out)));

  const events = program.command('events').description('read the event store');
  events
    .command('tail')
    .description('print events as they are committed, live; resume with --after')
    .option('--tenant <id>', "only this tenant's events (and security events about its members)")
    .option('--names <a,b>', 'only these event names, comma-separated')
    .option('--after <seq>', 'start after this seq (0 = from the first event); default: the newest')
    .option('--json', 'one JSON envelope per line', false)
    .option('--poll-ms <ms>', 'how often to look for new events', positiveInteger, 500)
    .action((options: { tenant?: string; names?: string; after?: string; json: boolean; pollMs: number }) =>
      run(async (config, logger) => {
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        process.once('SIGTERM', () => stop.abort());
        await tailEventsCommand(config, logger, out, process.stderr, options, stop.signal);
      }),
    );

  const deliveries = program.command('deliveries').description('see and retry listener deliveries');
  deliveries
    .command('list')
    .description('list deliveries, newest first')
    .option('--status <status>', 'pending, running, done or dead')
    .option('--listener <name>', "only this listener's")
    .option('--limit <n>', 'how many, 1 to 200', positiveInteger, 50)
    .option('--json', 'one JSON object per line', false)
    .action((options: { status?: string; listener?: string; limit: number; json: boolean }) =>
      run((config, logger) => listDeliveriesCommand(config, logger, out, options)),
    );
  deliveries
    .command('retry')
    .description('run a dead (or waiting) delivery again, with a fresh set of attempts')
    .argument('<id>', 'the delivery id (from `deliveries list`)')
    .action((id: string) => run((config, logger) => retryDeliveryCommand(config, logger, out, id)));

  const admin = program.command('admin').description('grant or revoke platform admin (users.is_platform_admin)');
  admin
    .command('grant')
    .description('make a user a platform admin')
    .argument('<email>')
    .action((email: string) => run((config, logger) => adminCommand(config, logger, out, { grant: true, email })));
  admin
    .command('revoke')
    .description('make a user an ordinary user again')
    .argument('<email>')
    .action((email: string) => run((config, logger) => adminCommand(config, logger, out, { grant: false, email })));

  const user = program.command('user').description("support: a user's lock, verification email and sessions (audited)");
  const actions: [UserAction, string][] = [
    ['unlock', 'lift the lock that failed sign-ins put on the account'],
    ['resend-verification', 'send the account a new verification link (a running server sends it)'],
    ['end-sessions', 'end every session of the account (their sockets close)'],
  ];
  for (const [action, description] of actions) {
    user
      .command(action)
      .description(description)
      .argument('<email>')
      .action((email: string) => run((config, logger) => userCommand(config, logger, out, { action, email })));
  }

  return program;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number from 1');
  return n;
}

/** Runs a command with the configuration and a logger that only speaks up for problems. */
async function runAction(action: (config: Config, logger: Logger) => Promise<void>): Promise<void> {
  const config = loadConfig();
  // Logs go to stderr so that stdout carries only the command's output.
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  try {
    await action(config, logger);
  } catch (error) {
    logger.debug({ err: error }, 'command failed'); // the details, with LOG_LEVEL=debug
    throw error;
  }
}

/** One line for a failure a person can act on. */
function reasonOf(error: unknown): { line: string; exitCode: number } {
  if (error instanceof ConfigError) return { line: `invalid configuration: ${error.problems.join('; ')}`, exitCode: 78 };
  if (error instanceof CliError) return { line: error.message, exitCode: error.exitCode };
  if (error instanceof StartupError || error instanceof DomainError) return { line: error.message, exitCode: 1 };
  const message = error instanceof Error ? error.message : String(error);
  return { line: `${message.split('\n')[0]} (set LOG_LEVEL=debug for details)`, exitCode: 1 };
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(runAction).exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander printed its message
    const { line, exitCode } = reasonOf(error);
    process.stderr.write(`herald: ${line}\n`);
    return exitCode;
  }
}

/** Runs the CLI (bin/herald.js calls this) and exits with its code once its output is written. */
export function run(argv: string[] = process.argv): void {
  // `herald ... | head` closes stdout early: that ends the command quietly, not with a stack.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  void main(argv).then((code) => {
    process.exitCode = code;
    // Whatever a command left open (it should leave nothing) does not keep the shell waiting.
    setTimeout(() => process.exit(code), 2_000).unref();
  });
}
