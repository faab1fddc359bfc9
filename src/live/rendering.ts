import { execute, getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { ForbiddenError } from '../errors/domain-errors';
import type { GraphQLContext } from '../graphql/context';
import { formatError } from '../graphql/format-error';
import { maskedResult } from '../graphql/masked-result';
import type { Logger } from '../logger';
import type { RenderPayload } from './fan-out';
import type { LiveRendering } from './live-subscription';

/**
 * How a live operation renders its events: one `execute` and one JSON serialisation per event,
 * shared by a whole group, and used the same way for a subscriber's replay. The context has no
 * viewer, so no field can render one subscriber's data for another; the Event type's fields read
 * nothing from the context. A field that needs the viewer must add what it reads to the group key
 * (live-events.ts `scope`) and to this context.
 */
export function liveRendering(args: ExecutionArgs, contextValue: GraphQLContext, operationKey: string, logger: Logger): LiveRendering {
  const shared = { schema: args.schema, document: args.document, operationName: args.operationName, variableValues: args.variableValues, contextValue };
  const operation = getOperationAST(args.document, args.operationName);
  const first = operation?.selectionSet.selections[0];
  const responseKey = first?.kind === 'Field' ? (first.alias ?? first.name).value : 'subscription';
  return {
    operationKey,
    render: renderingOf(shared, logger),
    forbidden: (message) => [forbiddenError(message, responseKey)],
  };
}

/** A context with no viewer: what an execution shared by subscribers may see. */
export function viewerless(ctx: GraphQLContext): GraphQLContext {
  return { requestId: ctx.requestId, ip: null, userAgent: null, traceparent: null, viewer: null, tokenRejected: false, services: ctx.services, loaders: ctx.loaders };
}

function renderingOf(shared: ExecutionArgs, logger: Logger): RenderPayload {
  const logUnexpected = (error: GraphQLError) => logger.error({ err: error, shared: true }, 'subscription error');
  return (event) => {
    let result: ExecutionResult;
    try {
      const executed = execute({ ...shared, rootValue: event });
      // Members get the bytes in the stream's order, so the rendering must not wait.
      if (executed instanceof Promise) {
        executed.catch(() => undefined);
        throw new Error('A live subscription field resolved asynchronously.');
      }
      result = executed;
    } catch (error) {
      result = { data: null, errors: [new GraphQLError('Rendering a live event failed', { originalError: error as Error })] };
    }
    return Buffer.from(JSON.stringify(maskedResult(result, logUnexpected)));
  };
}

/** The FORBIDDEN error a revoked subscription ends with, as a resolver's error would read. */
function forbiddenError(message: string, responseKey: string): GraphQLFormattedError {
  const error = new GraphQLError(message, { path: [responseKey], originalError: new ForbiddenError(message) });
  return formatError(error.toJSON(), error);
}
