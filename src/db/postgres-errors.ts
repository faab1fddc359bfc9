/** True for a unique violation (SQLSTATE 23505), of `constraint` when given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint: violated } = error as { code?: string; constraint?: string };
  return code === '23505' && (constraint === undefined || violated === constraint);
}

/** Node's codes for a connection that could not be made or was lost. */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATEs of a server that went away or will not take the connection: class 08, and shutdowns. */
const UNAVAILABLE_STATES = /^(08...|57P01|57P02|57P03)$/;
/** What pg and pg-pool say when a connection ended or none could be had. */
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|not queryable|Connection is not established/i;

/**
 * TypeORM's names for a statement on a query runner it has let go (the runner's own methods, and
 * an EntityManager bound to it). It lets a runner go when the runner's connection emits an error
 * (PostgresQueryRunner listens for it), so a transaction whose connection died between two
 * statements fails its next one, often COMMIT, with one of these instead of the connection's own.
 */
const RELEASED_RUNNER = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

/**
 * True when an error (or the driver error inside TypeORM's QueryFailedError, or its cause) says
 * PostgreSQL cannot be reached now, rather than that the statement was wrong.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let cause = error; typeof cause === 'object' && cause !== null && !seen.has(cause); ) {
    seen.add(cause);
    const { code, message, driverError } = cause as { code?: unknown; message?: unknown; driverError?: unknown };
    if (typeof code === 'string' && (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_STATES.test(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    if (RELEASED_RUNNER.has(String((cause as { name?: unknown }).name))) return true;
    cause = driverError ?? (cause as { cause?: unknown }).cause;
  }
  return false;
}
