import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import type { Logger } from '../logger';
import type { LiveEvents } from './live-events';
import type { LiveSink } from './live-sink';
import { LiveSubscription, type LiveRendering } from './live-subscription';
import { OperationKeys } from './operation-key';
import { liveRendering, viewerless } from './rendering';

/** Any other subscription's results (`serverTime`), executed one by one for its subscriber. */
export type SourceResults = AsyncIterator<ExecutionResult> & { return(): Promise<IteratorResult<ExecutionResult>> };

/** What starting a subscription operation gave: a live subscription, another stream, or one result (errors). */
export type StartedOperation = { live: LiveSubscription } | { results: SourceResults } | { result: ExecutionResult };

export type StartOperation = (args: ExecutionArgs, sink: LiveSink) => Promise<StartedOperation>;

/**
 * How both transports start a subscription operation: graphql's createSourceEventStream runs the
 * field's own resolver, which authorises; a live subscription (`tenantEvents`, `securityEvents`)
 * then starts in its group with the transport's sink. Its replay, live events and end go to the
 * sink as bytes; nothing is iterated per subscriber.
 */
export function liveOperations(options: { live: LiveEvents; logger: Logger }): StartOperation {
  const operationKeys = new OperationKeys();
  /** One viewer-less context for every live subscription (the services never change). */
  let sharedContext: GraphQLContext | null = null;
  /**
   * Renderings by operation key, shared by the subscriptions of one operation (a variable used
   * only as `after` is not in the key, and the fields never read it): no closures per subscriber.
   */
  const renderings = new Map<string, LiveRendering>();

  const renderingOf = (args: ExecutionArgs): LiveRendering => {
    const key = operationKeys.keyOf(args);
    let rendering = renderings.get(key);
    if (rendering) {
      renderings.delete(key); // most recently used last
    } else {
      sharedContext ??= viewerless(args.contextValue as GraphQLContext);
      rendering = liveRendering(args, sharedContext, key, options.logger);
    }
    renderings.set(key, rendering);
    if (renderings.size > RENDERINGS_KEPT) renderings.delete(renderings.keys().next().value!);
    return rendering;
  };

  return async (args, sink) => {
    const source = await createSourceEventStream(args);
    if (source instanceof LiveSubscription) {
      await options.live.start(source, renderingOf(args), sink);
      return { live: source };
    }
    if (!(Symbol.asyncIterator in source)) return { result: source }; // errors, e.g. FORBIDDEN
    return { results: new ExecutedResults(source[Symbol.asyncIterator](), args) };
  };
}

/** Distinct live operations whose rendering is kept (least recently used dropped first). */
const RENDERINGS_KEPT = 500;

const DONE = { value: undefined, done: true } as const;

/** A source's items executed as the operation's results, with `return()` that takes effect at once. */
class ExecutedResults implements SourceResults {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const step = await this.source.next();
    if (step.done) return DONE;
    return { value: await execute({ ...this.args, rootValue: step.value }), done: false };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return DONE;
  }
}
