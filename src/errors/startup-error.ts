/**
 * A start-up problem a person can act on (a service unreachable, a data directory in use). Its
 * message says what is wrong, where, and what to check; src/main.ts prints it without a stack.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
