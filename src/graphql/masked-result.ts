import type { ExecutionResult, FormattedExecutionResult, GraphQLError } from 'graphql';
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
  for (const error of result.errors) {
    if (!isExpectedError(error)) logUnexpected(error);
  }
  return { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) };
}
