import { ConfigError, loadConfig } from '../../src/config';

/** A JWT secret long enough for production. */
export const PRODUCTION_SECRET = 'a-production-secret-of-at-least-32-chars';
/** A master key as production requires it (SECRET_KEY: 32 bytes, hex). */
export const PRODUCTION_KEY = '0f'.repeat(32);

/** The problems `loadConfig` reports for `env`, or [] when it accepts it. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
