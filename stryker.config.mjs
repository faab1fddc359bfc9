// @ts-check
/**
 * Mutation testing (`npm run test:mutation`, docs/TESTING.md): StrykerJS with the Jest runner,
 * the TypeScript checker and per-test coverage, incremental. Not part of `npm test` or CI.
 *
 * One scope at a time (MUTATION_SCOPE=auth|events|access|live; all of them when unset): each
 * scope names the code it mutates and the test files that may kill its mutants. The integration
 * files named are the ones that drive that code in this process (child-process tests cannot see
 * an active mutant), so a mutant runs only the tests that cover it, in a few files.
 */
const SCOPES = {
  auth: {
    mutate: ['src/auth/**/*.ts'],
    tests: ['src/auth/**/*.test.ts', 'test/auth.test.ts'],
  },
  events: {
    // The pure parts of the event core; the database-bound parts (claims, completions, runtime)
    // are covered by integration files too slow to run once per mutant on this machine.
    mutate: [
      'src/events/backoff.ts',
      'src/events/tenant-rate.ts',
      'src/events/streams.ts',
      'src/events/transactions.ts',
      'src/events/delivery-schedule.ts',
    ],
    tests: ['src/events/**/*.test.ts', 'test/event-store.test.ts'],
  },
  access: {
    mutate: [
      'src/services/access.ts',
      'src/services/tenant-access.ts',
      'src/services/login-throttle.ts',
      'src/services/auth-rate-limits.ts',
    ],
    tests: [
      'src/services/access.test.ts',
      'src/services/tenant-access.test.ts',
      'src/services/login-throttle.test.ts',
      'src/services/auth-rate-limits.test.ts',
      // TenantAccess.require and tenantsOfUserSql on PostgreSQL (a few seconds, no server).
      'test/tenant-access.test.ts',
      // AuthRateLimits' keys and shared counts on Redis (under a second, no server).
      'test/rate-limit-keys.test.ts',
    ],
  },
  live: {
    mutate: ['src/live/rendering.ts', 'src/live/live-subscription.ts', 'src/live/operation-key.ts', 'src/live/close-codes.ts'],
    tests: ['src/live/**/*.test.ts'],
  },
};

const chosen = process.env.MUTATION_SCOPE ? process.env.MUTATION_SCOPE.split(',') : Object.keys(SCOPES);
for (const name of chosen) {
  if (!(name in SCOPES)) throw new Error(`MUTATION_SCOPE: unknown scope ${name}; one of ${Object.keys(SCOPES).join(', ')}`);
}
const scopes = chosen.map((name) => SCOPES[/** @type {keyof typeof SCOPES} */ (name)]);
const label = chosen.join('+');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Module-level code runs once per process; per-test coverage cannot say which test kills it.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${label}.incremental.json`,
  mutate: scopes.flatMap((s) => s.mutate).concat(['!**/*.test.ts']),
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // The files of the chosen scopes only; without this every file importing src/server.ts is "related".
    enableFindRelatedTests: false,
    config: { testMatch: scopes.flatMap((s) => s.tests).map((glob) => `<rootDir>/${glob}`) },
  },
  // The machine is shared: one Jest process and one checker at a time.
  concurrency: 1,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${label}.json` },
  // Not copied to the sandbox: reports and the coverage run's output (hundreds of MB).
  ignorePatterns: ['coverage-all', 'coverage', 'reports', 'dist', 'test-output'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
