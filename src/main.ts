import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { StartupError } from './errors/startup-error';
import { createLogger } from './logger';
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

  // Synchronous writes: pino's default asynchronous stdout lets a line still in flight when the
  // process exits be overtaken by later ones (or lost), and the first line after a failed start
  // must be the one that says why. At one line per operation the cost is small.
  const logger = createLogger(config.logLevel, pino.destination({ dest: 1, sync: true }));
  const herald = new Herald(config, { logger });
  let stopping = false;
  const shutdown = (signal: string) => {
    // Another signal while stopping changes nothing: the shutdown is bounded by its timeout.
    // (signal-exit also re-sends the signal it saw, see below.)
    if (stopping) return;
    stopping = true;
    herald.logger.info({ signal }, 'shutting down');
    // The bound: whatever is still open after it does not keep the process alive.
    setTimeout(() => {
      herald.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    herald.stop(signal).then(() => process.exit(0));
  };
  // `on`, not `once`: signal-exit (proper-lockfile's, in embedded mode) re-raises a signal when it
  // believes no one else listens, and the process would die mid-shutdown with our `once` gone.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await herald.start();
  } catch (error) {
    // The first line says what went wrong in words; details (a stack) only for the unexpected.
    herald.logger.fatal(`Herald could not start: ${(error as Error).message}`);
    if (!(error instanceof StartupError)) herald.logger.error({ err: error }, 'start-up failure details');
    await herald.stop('startup failure');
    process.exit(1);
  }
}

void main();
