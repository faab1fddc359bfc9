import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import type { HeraldMetrics } from '../observability/metrics';
import type { GraphQLContext } from './context';

/** Counts and times every GraphQL operation over HTTP, by name, type and outcome. */
export function metricsPlugin(metrics: HeraldMetrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse(request) {
          metrics.operationFinished({
            name: request.operationName ?? null,
            type: request.operation?.operation ?? null,
            seconds: (performance.now() - started) / 1000,
            errorCodes: errorCodesOf(request),
          });
        },
      };
    },
  };
}

/** The `extensions.code` of each error the client receives. */
export function errorCodesOf(request: GraphQLRequestContextWillSendResponse<GraphQLContext>): string[] {
  const sent = request.response.body.kind === 'single' ? request.response.body.singleResult.errors : undefined;
  const errors = sent ?? request.errors ?? [];
  return errors.map((error) => {
    const code = error.extensions?.code;
    return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : 'UNKNOWN';
  });
}
