import { PubSub, type PubSubEngine } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { redactUrl } from '../config';

/** The fast path that carries committed events to every instance (DESIGN.md §1). */
export interface EventBus {
  readonly kind: 'redis' | 'in-process';
  readonly engine: PubSubEngine;
  /**
   * Channel names, namespaced by the configured prefix: `events` carries every event (it wakes
   * listener runtimes and revocation checks); `stream(key)` one live stream (see src/events/streams.ts).
   */
  readonly channels: { readonly events: string; stream(key: string): string };
  /**
   * A connection for ordinary Redis commands (the publisher's: it fails fast while Redis is down
   * rather than queueing); null in process.
   */
  readonly redis: Redis | null;
  /** True when messages can be published right now. */
  isReachable(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * How long `disconnect()` lets a connection close by itself before destroying it, ms. ioredis
 * waits 2 s by default, for a 'close' that a connection lost while Redis was down never emits
 * again: that timer kept a Herald stopped during a Redis outage alive for 2 s. Nothing is pending
 * when the bus closes (the publisher has waited for its publications), so there is nothing to wait for.
 */
const DISCONNECT_TIMEOUT_MS = 0;

export function createEventBus(options: { redisUrl?: string; prefix: string; logger: Logger }): EventBus {
  const channels = {
    events: `${options.prefix}events`,
    stream: (key: string) => `${options.prefix}stream:${key}`,
  };
  if (!options.redisUrl) {
    return {
      kind: 'in-process',
      engine: new PubSub(),
      channels,
      redis: null,
      isReachable: async () => true,
      close: async () => {},
    };
  }
  const where = redactUrl(options.redisUrl);
  const logger = options.logger.child({ redis: where });
  // The publisher fails fast while Redis is down (no offline queue): a mutation never waits for
  // Redis, its events stay unpublished in the store and the sweep sends them later.
  const publisher = new Redis(options.redisUrl, {
    // Publications made in the same turn of the event loop (several commits' events) share one write.
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  });
  const subscriber = new Redis(options.redisUrl, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  });
  let reported = false;
  for (const [role, client] of [
    ['publisher', publisher],
    ['subscriber', subscriber],
  ] as const) {
    client.on('error', (error) => {
      // ioredis reconnects by itself; say so once per outage instead of once per retry.
      if (!reported) logger.warn({ err: error, role }, 'Redis unreachable; reconnecting in the background');
      reported = true;
    });
    client.on('ready', () => {
      if (reported) logger.info({ role }, 'Redis reachable again');
      reported = false;
    });
  }
  const engine = new RedisPubSub({ publisher, subscriber });
  return {
    kind: 'redis',
    engine,
    channels,
    redis: publisher,
    isReachable: async () => {
      if (publisher.status !== 'ready') return false;
      try {
        return (await publisher.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    close: async () => {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * Subscribes `onMessage` to `channel` without waiting for Redis: while Redis is down, ioredis
 * queues the SUBSCRIBE and the subscription takes effect when Redis answers (the instance runs on
 * its polls meanwhile). Returns at once; the function it returns ends the subscription either way.
 */
export function subscribeWhenReachable(
  bus: EventBus,
  channel: string,
  onMessage: (message: never) => void,
  logger: Logger,
): () => void {
  let ended = false;
  let id: number | null = null;
  bus.engine.subscribe(channel, onMessage, {}).then(
    (subscribed) => {
      if (ended) bus.engine.unsubscribe(subscribed);
      else id = subscribed;
    },
    (error) => logger.warn({ err: error, channel }, 'pub/sub subscription failed; running on polls'),
  );
  return () => {
    ended = true;
    if (id !== null) bus.engine.unsubscribe(id);
  };
}
