import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from './context';
import { errorCodesOf } from './metrics-plugin';

/**
 * Names the request's span after its operation (`mutation Register`) and records the operation's
 * attributes and outcome (OpenTelemetry semantic conventions for GraphQL). The span itself is the
 * HTTP request's (src/http/request-tracing.ts); without an OpenTelemetry SDK this is all a no-op.
 */
export function tracingPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(request) {
          const span = request.contextValue.span;
          if (!span) return;
          const type = request.operation?.operation;
          if (type) {
            span.updateName(`${type}${request.operationName ? ` ${request.operationName}` : ''}`);
            span.setAttribute('graphql.operation.type', type);
          }
          if (request.operationName) span.setAttribute('graphql.operation.name', request.operationName);
          const codes = errorCodesOf(request);
          if (codes.length > 0) span.setAttribute('graphql.error.codes', [...new Set(codes)]);
        },
      };
    },
  };
}
