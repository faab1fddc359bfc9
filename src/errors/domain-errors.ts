/**
 * The error taxonomy. A domain error carries the code clients see in `extensions.code` and a
 * message that says what to fix; anything else that escapes is unexpected and gets masked
 * (see `src/graphql/format-error.ts`).
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra fields for `extensions` (never internals). */
  readonly extensions: Record<string, unknown> = {};
}

/** The client sent something invalid; `field` names the input to fix. */
export class BadUserInputError extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.extensions.field = field;
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor(message = 'Sign in first: send a valid access token as "Authorization: Bearer <token>".') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'You do not have the role this operation needs.') {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
  constructor(
    message: string,
    field?: string,
  ) {
    super(message);
    if (field) this.extensions.field = field;
  }
}

export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts; try again in ${retryAfterSeconds} s.`);
    this.extensions.retryAfter = retryAfterSeconds;
  }
}

/**
 * A dependency the request needs cannot be reached right now (PostgreSQL down, a pool exhausted):
 * nothing is wrong with the request, and the same request may succeed after `retryAfter` seconds.
 */
export class ServiceUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  /** `cause`: what failed inside (for the logs; never sent to a client). */
  constructor(
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(`A service this request needs is unavailable right now; try again in ${retryAfterSeconds} s.`, options);
    this.extensions.retryAfter = retryAfterSeconds;
  }
}

/**
 * Thrown by a listener when retrying cannot help (bad data, a missing row that will never
 * appear): the delivery goes dead at once instead of using up its retries.
 */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
}
