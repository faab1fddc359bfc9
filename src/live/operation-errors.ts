import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { formatError, isExpectedError } from '../graphql/format-error';

/**
 * What a client receives for errors that stopped an operation before it ran (parse, validation,
 * limits) or that its stream failed with, over WebSocket and SSE alike: masked as over HTTP, each
 * unexpected one reported through `logUnexpected`.
 */
export function formatOperationErrors(
  reported: readonly GraphQLError[],
  logUnexpected: (error: GraphQLError) => void,
): GraphQLFormattedError[] {
  const errors = reported.map(withValidationCode);
  for (const error of errors) {
    if (!isExpectedError(error)) logUnexpected(error);
  }
  return errors.map((error) => formatError(error.toJSON(), error));
}

/**
 * The protocol server reports graphql-js's validation errors (and "Unable to identify operation") with no
 * code, where Apollo gives them GRAPHQL_VALIDATION_FAILED: give them the same code. An error with
 * a cause (a failed stream) stays as it is, to be masked.
 */
function withValidationCode(error: GraphQLError): GraphQLError {
  if (error.extensions.code || error.originalError) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
  });
}
