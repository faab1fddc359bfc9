import { ConfigError, loadConfig } from '../../src/config';

/** A JWT secret long enough for production. */
export const PRODUCTION_SECRET = 'a-production-secret-of-at-least-32-chars';

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
