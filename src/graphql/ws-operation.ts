import { execute, getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { MessageType, stringifyMessage, type SubscribePayload } from 'graphql-ws';
import type { OperationResults, WsConnection } from './ws-connection';
import type { ProtocolHooks } from './ws-protocol';

/**
 * Runs one `subscribe` message's operation, as graphql-ws's core does: prepared by the hooks (or
 * an `error` message), then executed (`next`, `complete`) or subscribed to (a `next` per result
 * until the stream ends, then `complete`; a failed stream sends `error`). The id is registered
 * by the caller and released when the operation ends; a client's `complete` or the socket's close
 * removes it first, and then nothing more is sent for it.
 */
export async function runOperation(connection: WsConnection, id: string, payload: SubscribePayload, hooks: ProtocolHooks): Promise<void> {
  const { operations } = connection;
  let streaming = false;
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
    let result: OperationResults | ExecutionResult;
    try {
      if (!operations.has(id)) return; // completed, or the socket closed, while it waited for a turn
      args.contextValue = hooks.context(connection, id);
      result = operation.operation === 'subscription' ? await hooks.subscribe(args) : await execute(args);
    } finally {
      connection.endTurn();
    }
    if (isResults(result)) {
      if (!operations.has(id)) {
        void result.return(); // completed or closed while it started
        return;
      }
      streaming = true;
      operations.set(id, result);
      pump(connection, id, result, hooks);
      return;
    }
    if (!operations.has(id)) return;
    connection.send(stringifyMessage({ id, type: MessageType.Next, payload: hooks.formatResult(id, result) as never }));
    connection.send(stringifyMessage({ id, type: MessageType.Complete }));
  } finally {
    if (!streaming) operations.delete(id);
  }
}

/**
 * Pulls a subscription's results one at a time and sends each. Promise callbacks rather than an
 * async loop, and a parked source (a live subscription) is not pulled at all until it wakes: a
 * pending `next()` would last its whole life, and with it a chain of promises and closures.
 */
function pump(connection: WsConnection, id: string, results: OperationResults, hooks: ProtocolHooks): void {
  if (results.park?.(() => connection.operations.get(id) === results && pump(connection, id, results, hooks))) return;
  results.next().then(
    (step) => {
      if (connection.operations.get(id) !== results) return; // the client completed it, or the socket closed
      if (step.done) {
        connection.operations.delete(id);
        connection.send(stringifyMessage({ id, type: MessageType.Complete }));
        return;
      }
      connection.send(stringifyMessage({ id, type: MessageType.Next, payload: hooks.formatResult(id, step.value) as never }));
      pump(connection, id, results, hooks);
    },
    (error: unknown) => {
      if (connection.operations.get(id) !== results) return;
      connection.operations.delete(id);
      const originalError = error instanceof Error ? error : new Error(String(error));
      sendErrors(connection, id, [new GraphQLError(originalError.message, { originalError })], hooks);
    },
  );
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

function isResults(value: OperationResults | ExecutionResult): value is OperationResults {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
