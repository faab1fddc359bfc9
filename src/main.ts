import { ConfigError, loadConfig } from './config';
import { StartupError } from './errors/startup-error';
import { Herald } from './server';

/** `npm start`: configuration from the environment, then the server until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\nSee .env.example for every variable and its default.\n`);
    process.exit(78); // EX_CONFIG
  }

  const herald = new Herald(config);
  // Log lines are written asynchronously; exiting with one still in flight can lose it or let a
  // later one overtake it, so exits wait for the logger first.
  const exit = (code: number) => herald.logger.flush(() => process.exit(code));
  const shutdown = (signal: string) => {
    herald.logger.info({ signal }, 'shutting down');
    // The bound: whatever is still open after it does not keep the process alive.
    setTimeout(() => {
      herald.logger.error('shutdown took too long; exiting');
      exit(1);
    }, config.shutdownTimeoutMs).unref();
    herald.stop(signal).then(() => exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  try {
    await herald.start();
  } catch (error) {
    // The first line says what went wrong in words; details (a stack) only for the unexpected.
    // (Not `fatal`: its synchronous flush can overtake lines still being written.)
    herald.logger.error(`Herald could not start: ${(error as Error).message}`);
    if (!(error instanceof StartupError)) herald.logger.error({ err: error }, 'start-up failure details');
    await herald.stop('startup failure');
    exit(1);
  }
}

void main();
