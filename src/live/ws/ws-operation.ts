import { execute, getOperationAST, GraphQLError, type ExecutionArgs } from 'graphql';
import { MessageType, stringifyMessage, type SubscribePayload } from 'graphql-ws';
import type { SourceResults, StartedOperation } from '../live-operation';
import { NextFrames } from './next-frames';
import type { RunningOperation, WsConnection } from './ws-connection';
import type { ProtocolHooks } from './ws-protocol';

/**
 * Runs one `subscribe` message's operation, as graphql-ws's core does: prepared by the hooks (or
 * an `error` message), then executed (`next`, `complete`) or subscribed to. A live subscription
 * writes to its sink (NextFrames) from then on; another stream's results are sent one by one until
 * it ends (`complete`; a failed stream sends `error`). The id is registered by the caller and
 * released when the operation ends; a client's `complete` or the socket's close removes it first,
 * and then nothing more is sent for it.
 */
export async function runOperation(connection: WsConnection, id: string, payload: SubscribePayload, hooks: ProtocolHooks): Promise<void> {
  const { operations } = connection;
  let running = false;
  try {
    const prepared = hooks.onSubscribe(connection, id, payload);
    if (isErrors(prepared)) {
      if (operations.has(id)) sendErrors(connection, id, prepared, hooks);
      return;
    }
    const args: ExecutionArgs = prepared;
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) {
      if (operations.has(id)) sendErrors(connection, id, [new GraphQLError('Unable to identify operation')], hooks);
      return;
    }
    const turn = connection.takeTurn();
    if (turn) await turn; // with a turn free, it starts at once, before later messages are handled
    let started: StartedOperation;
    try {
      if (!operations.has(id)) return; // completed, or the socket closed, while it waited for a turn
      args.contextValue = hooks.context(connection, id);
      started =
        operation.operation === 'subscription'
          ? await hooks.subscribe(args, new NextFrames(connection, id))
          : { result: await execute(args) };
    } finally {
      connection.endTurn();
    }
    if ('live' in started) {
      // Completed or closed while it started: stop it. Revoked meanwhile: its sink has ended it.
      if (!operations.has(id)) return started.live.stop();
      if (started.live.isOver) return;
      running = true;
      operations.set(id, started.live);
      return;
    }
    if ('results' in started) {
      if (!operations.has(id)) {
        void started.results.return();
        return;
      }
      running = true;
      const pumped = new PumpedResults(connection, id, started.results, hooks);
      operations.set(id, pumped);
      void pumped.run();
      return;
    }
    if (!operations.has(id)) return;
    connection.send(stringifyMessage({ id, type: MessageType.Next, payload: hooks.formatResult(id, started.result) as never }));
    connection.send(stringifyMessage({ id, type: MessageType.Complete }));
  } finally {
    if (!running) operations.delete(id);
  }
}

/** A stream other than a live subscription (`serverTime`): each result executed and sent, then `complete`. */
class PumpedResults implements RunningOperation {
  constructor(
    private readonly connection: WsConnection,
    private readonly id: string,
    private readonly results: SourceResults,
    private readonly hooks: ProtocolHooks,
  ) {}

  /** Still the operation of its id (not completed by the client, socket open). */
  private get current(): boolean {
    return this.connection.operations.get(this.id) === this;
  }

  stop(): void {
    void this.results.return();
  }

  async run(): Promise<void> {
    const { connection, id, hooks } = this;
    try {
      for (;;) {
        const step = await this.results.next();
        if (!this.current) return;
        if (step.done) break;
        connection.send(stringifyMessage({ id, type: MessageType.Next, payload: hooks.formatResult(id, step.value) as never }));
      }
      connection.operations.delete(id);
      connection.send(stringifyMessage({ id, type: MessageType.Complete }));
    } catch (error) {
      if (!this.current) return;
      connection.operations.delete(id);
      const originalError = error instanceof Error ? error : new Error(String(error));
      sendErrors(connection, id, [new GraphQLError(originalError.message, { originalError })], hooks);
    }
  }
}

function sendErrors(connection: WsConnection, id: string, errors: readonly GraphQLError[], hooks: ProtocolHooks): void {
  connection.send(stringifyMessage({ id, type: MessageType.Error, payload: hooks.formatErrors(id, errors) as never }));
}

/** graphql-ws's rule: a non-empty array of GraphQLErrors; any other array is a broken hook. */
function isErrors(value: ExecutionArgs | readonly GraphQLError[]): value is readonly GraphQLError[] {
  if (!Array.isArray(value)) return false;
  if (value.length > 0 && value.every((item) => item instanceof GraphQLError)) return true;
  throw new Error('Invalid return value from onSubscribe hook, expected an array of GraphQLError objects');
}
