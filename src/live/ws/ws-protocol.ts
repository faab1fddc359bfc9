import type { ExecutionArgs, ExecutionResult, FormattedExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';
import { MessageType, parseMessage, stringifyMessage, type Message, type SubscribePayload } from 'graphql-ws';
import type { Logger } from '../../logger';
import { HeraldCloseCode } from '../close-codes';
import type { LiveSink } from '../live-sink';
import type { StartedOperation } from '../live-operation';
import type { WsConnection } from './ws-connection';
import { runOperation } from './ws-operation';

/** What the application decides in the graphql-transport-ws protocol (ws-server.ts implements them). */
export interface ProtocolHooks {
  /**
   * connection_init with its payload (an object, else undefined). True acknowledges; false closes
   * with 4403 Forbidden, unless the hook closed the socket itself with another code.
   */
  onConnect(connection: WsConnection, params: Record<string, unknown> | undefined): Promise<boolean>;
  /** The socket closed; its operations have been ended. Runs for every connection, acknowledged or not. */
  onClose(connection: WsConnection): void;
  /**
   * A `subscribe` (its id already registered): the execution arguments, or errors sent to the client
   * as an `error` message.
   */
  onSubscribe(connection: WsConnection, id: string, payload: SubscribePayload): ExecutionArgs | readonly GraphQLError[];
  /** The operation's contextValue. */
  context(connection: WsConnection, id: string): unknown;
  /** Starts a subscription operation writing to `sink` (live), or its results, or one result (errors from its resolver). */
  subscribe(args: ExecutionArgs, sink: LiveSink): Promise<StartedOperation>;
  /** What a `next` message carries for a result (errors masked). */
  formatResult(id: string, result: ExecutionResult): ExecutionResult | FormattedExecutionResult;
  /** What an `error` message carries for these errors (masked). */
  formatErrors(id: string, errors: readonly GraphQLError[]): GraphQLFormattedError[];
}

/**
 * Handles one message of the graphql-transport-ws protocol, with graphql-ws's close codes and
 * texts. Messages are handled as they arrive, not one after another: a subscription's operation
 * runs while later messages (complete, ping, other subscribes) are handled.
 */
export async function handleMessage(connection: WsConnection, data: string, hooks: ProtocolHooks): Promise<void> {
  let message: Message;
  try {
    message = parseMessage(data);
  } catch {
    return connection.close(HeraldCloseCode.BadRequest, 'Invalid message received');
  }
  switch (message.type) {
    case MessageType.ConnectionInit: {
      if (connection.initReceived) return connection.close(HeraldCloseCode.TooManyInitialisationRequests, 'Too many initialisation requests');
      connection.initReceived = true;
      const params = isObject(message.payload) ? message.payload : undefined;
      if (!(await hooks.onConnect(connection, params))) return connection.close(HeraldCloseCode.Forbidden, 'Forbidden');
      connection.acknowledged = true;
      return connection.send(stringifyMessage({ type: MessageType.ConnectionAck }));
    }
    case MessageType.Ping:
      // The payload is echoed, and left out when there is none, as graphql-ws does.
      return connection.send(
        stringifyMessage(message.payload ? { type: MessageType.Pong, payload: message.payload } : { type: MessageType.Pong }),
      );
    case MessageType.Pong:
      return;
    case MessageType.Subscribe: {
      if (!connection.acknowledged) return connection.close(HeraldCloseCode.Unauthorized, 'Unauthorized');
      const { id, payload } = message;
      if (connection.operations.has(id)) return connection.close(HeraldCloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
      connection.operations.set(id, null);
      return runOperation(connection, id, payload, hooks);
    }
    case MessageType.Complete: {
      const running = connection.operations.get(message.id);
      connection.operations.delete(message.id);
      running?.stop();
      return;
    }
    default:
      // A message only a server sends (connection_ack, next, error): the client broke the protocol.
      // graphql-ws's server throws (4500, an internal error it logs); it is the client's error.
      return connection.close(HeraldCloseCode.BadRequest, `Unexpected message of type ${message.type} received`);
  }
}

/** Ends every operation of a closed connection; one that fails to end does not keep the others running. */
export function endOperations(connection: WsConnection, logger: Logger): void {
  const running = [...connection.operations.values()];
  connection.operations.clear();
  for (const operation of running) {
    try {
      operation?.stop();
    } catch (error) {
      logger.error({ err: error }, 'ending an operation of a closed socket failed');
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
