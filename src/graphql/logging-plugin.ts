import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../logger';
import { traceIdOf } from '../observability/traceparent';
import type { GraphQLContext } from './context';
import { isExpectedError } from './format-error';

/**
 * One log line per operation (name, outcome, duration, request id), and the full detail of every
 * unexpected error, which the client only sees masked. Variables are never logged: they carry
 * passwords and tokens.
 */
export function loggingPlugin(logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    // The request never started (a dependency of the context failed): the client got a masked 500.
    async contextCreationDidFail({ error }) {
      logger.error({ err: error }, 'could not build the request context');
    },
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      const log = logger.child({ requestId: contextValue.requestId, traceId: traceIdOf(contextValue.traceparent) });
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (!isExpectedError(error)) log.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error');
          }
        },
        async willSendResponse({ operationName, errors, response }) {
          const failed = errors?.length ?? (response.body.kind === 'single' ? response.body.singleResult.errors?.length : 0);
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
