import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../logger';
import { traceIdOf } from '../observability/traceparent';
import type { GraphQLContext } from './context';
import { isExpectedError, unavailableOf } from './format-error';

/**
 * One log line per operation (name, outcome, duration, request id), and the full detail of every
 * unexpected error, which the client only sees masked. Variables are never logged: they carry
 * passwords and tokens. An unreachable database is said once per outage, not once per request
 * (every request fails alike meanwhile), and its end once, when a mutation succeeds again.
 */
export function loggingPlugin(logger: Logger): ApolloServerPlugin<GraphQLContext> {
  let outage = false;
  const unavailable = (error: unknown): boolean => {
    const found = unavailableOf(error);
    if (!found) return false;
    if (!outage) {
      outage = true;
      logger.warn(
        { err: found.cause ?? error },
        'a dependency is unreachable: requests that need it answer SERVICE_UNAVAILABLE until it answers again (said once per outage)',
      );
    }
    return true;
  };
  return {
    // The request never started (a dependency of the context failed): the client got 503 or a masked 500.
    async contextCreationDidFail({ error }) {
      if (!unavailable(error)) logger.error({ err: error }, 'could not build the request context');
    },
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      const log = logger.child({ requestId: contextValue.requestId, traceId: traceIdOf(contextValue.traceparent) });
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (unavailable(error)) continue;
            if (!isExpectedError(error)) log.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error');
          }
        },
        async willSendResponse({ operationName, operation, errors, response }) {
          const failed = errors?.length ?? (response.body.kind === 'single' ? response.body.singleResult.errors?.length : 0);
          if (outage && !failed && operation?.operation === 'mutation') {
            outage = false;
            logger.info('the unreachable dependency answers again: mutations succeed');
          }
          log.info(
            {
              operation: operationName ?? null,
              userId: contextValue.viewer?.userId ?? null,
              outcome: failed ? 'error' : 'ok',
              ms: Math.round(performance.now() - started),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
