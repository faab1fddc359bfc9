import { HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnreachable } from '../db/postgres-errors';
import { DomainError, ServiceUnavailableError } from '../errors/domain-errors';
import { LIMIT_EXCEEDED, limitErrorIn } from './operation-limits';

/** Codes of errors that graphql-js or Apollo raise about the request itself: safe to show. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  LIMIT_EXCEEDED,
]);

/** What a client is told to wait before retrying while PostgreSQL cannot be reached, seconds. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The SERVICE_UNAVAILABLE error that `error` amounts to: a ServiceUnavailableError anywhere in its
 * chain of causes, or PostgreSQL being unreachable; null for anything else. This is where "the
 * database is down" becomes that code, for HTTP, WebSocket and the logs alike.
 */
export function unavailableOf(error: unknown): ServiceUnavailableError | null {
  const seen = new Set<unknown>();
  for (let cause = error; typeof cause === 'object' && cause !== null && !seen.has(cause); ) {
    seen.add(cause);
    if (cause instanceof ServiceUnavailableError) return cause;
    if (isDatabaseUnreachable(cause)) return new ServiceUnavailableError(DATABASE_RETRY_AFTER_SECONDS, { cause });
    // graphql-js wraps a thrown value that is not an Error of its realm as `thrownValue`.
    const { originalError, thrownValue } = cause as { originalError?: unknown; thrownValue?: unknown };
    cause = originalError ?? thrownValue ?? (cause as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * For a failure before execution (building the request context over HTTP): an unavailable
 * dependency answers 503 with `Retry-After` and the SERVICE_UNAVAILABLE error; anything else is
 * thrown on as it is (and masked as usual).
 */
export function rethrowBeforeExecution(error: unknown): never {
  const unavailable = unavailableOf(error);
  if (!unavailable) throw error;
  const retryAfter = String(unavailable.retryAfterSeconds);
  throw new GraphQLError(unavailable.message, {
    originalError: unavailable,
    extensions: { code: unavailable.code, http: { status: 503, headers: new HeaderMap([['retry-after', retryAfter]]) } },
  });
}

/** True for errors a client caused and may read; everything else is unexpected and masked. */
export function isExpectedError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError || unavailableOf(original)) return true;
  // Only an explicit code counts: Apollo turns anything thrown that is not an Error into a
  // code-less GraphQLError whose message is that value ("Unexpected error value: ...").
  if (original instanceof GraphQLError && isAboutTheRequest(original)) {
    return REQUEST_ERROR_CODES.has(String(original.extensions?.code));
  }
  return false;
}

/**
 * True when every cause of the error is a GraphQLError too: graphql-js or Apollo raised it about
 * the request (Apollo's syntax, validation and variable errors keep graphql-js's error as
 * `originalError`). An error caused by anything else, e.g. a failed context, is unexpected.
 */
function isAboutTheRequest(error: GraphQLError): boolean {
  let cause: unknown = error.originalError;
  while (cause instanceof GraphQLError) cause = cause.originalError;
  return cause === undefined || cause === null;
}

/** graphql-js's "Did you mean …?" hints, wherever they end a sentence (validation, variables, input fields). */
const SUGGESTION = / ?Did you mean [^?]*\?/g;
const INTROSPECTION_REFUSED = /^GraphQL introspection (is not allowed|has been disabled)/;

/**
 * A request error's message as a client may read it, in every environment and over every
 * transport: without suggestions, which would reveal the schema field by field when introspection
 * is off (Apollo's hideSchemaDetailsFromClientErrors misses variable coercion errors), and naming
 * Herald's own setting where Apollo's words would point at its constructor.
 */
export function quietMessage(message: string): string {
  if (INTROSPECTION_REFUSED.test(message)) {
    return 'Introspection is off on this server (INTROSPECTION=false): ask for the fields you need by name.';
  }
  return message.replace(SUGGESTION, '');
}

/**
 * What a client sees of an error, over HTTP and WebSocket alike: domain errors with their code
 * and fields, request errors as graphql-js words them (less `quietMessage`'s hints), anything else as INTERNAL_SERVER_ERROR
 * with no message, stack or SQL (the request id in the logs finds the details).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const unwrapped = unwrapResolverError(error);
  const original = unwrapped instanceof DomainError ? unwrapped : (unavailableOf(unwrapped) ?? unwrapped);
  const { locations, path } = formatted;
  if (original instanceof DomainError) {
    return { message: original.message, locations, path, extensions: { code: original.code, ...original.extensions } };
  }
  const limit = limitErrorIn(original);
  if (limit) {
    const { code, limit: name, max } = limit.extensions;
    return { message: limit.message, locations, extensions: { code, limit: name, max } };
  }
  if (isExpectedError(error)) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { message: quietMessage(formatted.message), locations, path, extensions };
  }
  return { message: 'Internal server error', path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
