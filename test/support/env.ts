/**
 * Where the test suite finds the real services. Defaults match CI (.ci/run) and this machine;
 * override with TEST_POSTGRES_URL / TEST_REDIS_URL.
 */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';
export const SECRET_KEY = 'a1'.repeat(32);

/**
 * For `npm run test:coverage` (scripts/coverage.mjs): a child process (server, CLI, demo) writes
 * its V8 coverage into TEST_CHILD_V8_COVERAGE, so code that runs only in children is counted.
 * Empty otherwise. Children spawned with an environment of their own must spread it in.
 */
export function childCoverageEnv(): Record<string, string> {
  const dir = process.env.TEST_CHILD_V8_COVERAGE;
  return dir ? { NODE_V8_COVERAGE: dir } : {};
}
