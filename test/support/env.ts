/**
 * Where the test suite finds the real services. Defaults match CI (.ci/run) and this machine;
 * override with TEST_POSTGRES_URL / TEST_REDIS_URL.
 */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';
export const SECRET_KEY = 'a1'.repeat(32);
