import { ConfigError, loadConfig } from './config';
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
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return; // a second signal changes nothing: the bound below still applies
    shuttingDown = true;
    herald.logger.info({ signal }, 'shutting down');
    // The bound: whatever is still open after it does not keep the process alive.
    setTimeout(() => {
      herald.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    herald.stop(signal).then(() => process.exit(0));
  };
  // `on`, not `once`: a second signal must find this listener too. Otherwise signal-exit (which
  // proper-lockfile uses for the embedded database's lock) sees no other listener and re-raises
  // it, killing the process mid-shutdown.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await herald.start();
  } catch (error) {
    herald.logger.fatal({ err: error }, `Herald could not start: ${(error as Error).message}`);
    await herald.stop('startup failure');
    process.exit(1);
  }
}

void main();
