import { createSourceEventStream, execute, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Logger } from '../logger';
import type { FanOut, RenderPayload } from '../subscriptions/fan-out';
import { LiveSubscription } from '../subscriptions/live-subscription';
import type { GraphQLContext } from './context';
import { maskedResult } from './masked-result';
import { OperationKeys } from './operation-key';

type Results = AsyncIterableIterator<ExecutionResult> & {
  return(): Promise<IteratorResult<ExecutionResult>>;
  throw(error: unknown): Promise<IteratorResult<ExecutionResult>>;
};

/**
 * The protocol server's `subscribe` (ws-protocol.ts): authorises through the subscription's own
 * resolver (graphql's createSourceEventStream), then hands a live subscription to its group, which
 * executes each event once for every subscriber with the same operation and scope and writes the
 * bytes to their sockets. What the protocol server iterates carries only the per-subscriber part:
 * the replay after `after` and the revocation notice, each executed for this subscriber alone,
 * masked in `formatResult`.
 */
export function liveSubscribe(options: { fanOut: FanOut; logger: Logger }) {
  const operationKeys = new OperationKeys();
  /** One viewer-less context for every live subscription (the services never change). */
  let sharedContext: GraphQLContext | null = null;

  return async (args: ExecutionArgs): Promise<Results | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (source instanceof LiveSubscription) {
      sharedContext ??= viewerless(args.contextValue as GraphQLContext);
      return startLive(source, args, sharedContext, operationKeys.keyOf(args), options);
    }
    if (!(Symbol.asyncIterator in source)) return source; // errors, e.g. FORBIDDEN
    return new ExecutedResults(source[Symbol.asyncIterator](), args);
  };
}

/**
 * Starts a live subscription in its group. The replay and the revocation notice run with the
 * shared, viewer-less context as well: the Event type's fields read nothing from it, and the
 * operation's own arguments and context (viewer, request id, trace) are then not kept for the
 * whole life of the subscription.
 */
async function startLive(
  source: LiveSubscription,
  args: ExecutionArgs,
  contextValue: GraphQLContext,
  operationKey: string,
  options: { fanOut: FanOut; logger: Logger },
): Promise<Results> {
  const output = (args.contextValue as GraphQLContext).connection!.output;
  const shared = sharedExecutionArgs(args, contextValue);
  try {
    await source.start(options.fanOut, { operationKey, render: renderingOf(shared, options.logger), output });
  } catch (error) {
    await source.return(); // not left among the open subscriptions
    throw error;
  }
  return new ExecutedResults(source, shared);
}

/** A context with no viewer and no connection: what an execution shared by subscribers may see. */
function viewerless(ctx: GraphQLContext): GraphQLContext {
  return {
    requestId: ctx.requestId,
    ip: null,
    userAgent: null,
    traceparent: null,
    viewer: null,
    tokenRejected: false,
    connection: null,
    services: ctx.services,
  };
}

/** The operation's execution arguments with a shared, viewer-less context. */
function sharedExecutionArgs(args: ExecutionArgs, contextValue: GraphQLContext): ExecutionArgs {
  return { schema: args.schema, document: args.document, operationName: args.operationName, variableValues: args.variableValues, contextValue };
}

/**
 * How a group renders an event: one `execute` and one JSON serialisation for all its members.
 * The context has no viewer and no connection, so no field can render one subscriber's data for
 * another; the Event type's fields read nothing from the context. A field that needs the viewer
 * must add what it reads to the group key (live-events.ts `scope`) and to this context.
 */
export function sharedRendering(args: ExecutionArgs, ctx: GraphQLContext, logger: Logger): RenderPayload {
  return renderingOf(sharedExecutionArgs(args, viewerless(ctx)), logger);
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

const DONE = { value: undefined, done: true } as const;

/**
 * A source's items executed as the operation's results, with `return()` that takes effect at
 * once. A class, not an object of closures: a live subscription keeps one for its whole life.
 */
class ExecutedResults implements Results {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
  ) {}

  // Promise chains, not async functions: the pending `next` of a live subscription is held for
  // its whole life, and a suspended async function costs more memory than a callback.
  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source.next().then((step) =>
      step.done ? DONE : Promise.resolve(execute({ ...this.args, rootValue: step.value })).then((value) => ({ value, done: false })),
    );
  }

  /** A live subscription waits without a pending `next()` (see LiveSubscription.park). */
  park(wake: () => void): boolean {
    return this.source instanceof LiveSubscription && this.source.park(wake);
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
