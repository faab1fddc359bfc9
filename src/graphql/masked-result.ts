import { GraphQLError, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import { formatError, isExpectedError } from './format-error';

/**
 * A WebSocket result as a client may see it: unexpected errors are reported through `logUnexpected`
 * and masked (format-error.ts), as Apollo's formatError does over HTTP.
 */
export function maskedResult(
  result: ExecutionResult,
  logUnexpected: (error: GraphQLError) => void,
): ExecutionResult | FormattedExecutionResult {
  if (!result.errors?.length) return result;
  // A result without data never started: its errors are about the request's variables.
  const errors = result.data === undefined ? result.errors.map(asInputError) : result.errors;
  for (const error of errors) {
    if (!isExpectedError(error)) logUnexpected(error);
  }
  return { ...result, errors: errors.map((error) => formatError(error.toJSON(), error)) };
}

/**
 * graphql-js reports variables that do not coerce ("got invalid value") with no code, where Apollo
 * says BAD_USER_INPUT: the same code over every transport. An error caused by anything but graphql-js
 * (a failing resolver, say) stays as it is, to be masked.
 */
function asInputError(error: GraphQLError): GraphQLError {
  if (error.extensions.code || (error.originalError && !(error.originalError instanceof GraphQLError))) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code: 'BAD_USER_INPUT' } });
}
