import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from './context';
import { costLimitError } from './operation-limits';

/**
 * The cost limit over HTTP, checked once Apollo has resolved the operation, so with the request's
 * variables (validation rules never see them, and Apollo caches validation per document).
 * Refused with 400, as the other limits are.
 */
export function costLimitPlugin(maxCost: number): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request }) {
          const error = costLimitError(schema, document, operationName, request.variables, maxCost);
          if (error) {
            error.extensions.http = { status: 400 };
            throw error;
          }
        },
      };
    },
  };
}
