import { makeExecutableSchema } from '@graphql-tools/schema';
import type { AddressInfo } from 'node:net';
import { EventStore } from '../../src/events/event-store';
import { Transactions } from '../../src/events/transactions';
import { createResolvers } from '../../src/resolvers';
import { createHttpApp } from '../../src/http/http-app';
import { createLogger } from '../../src/logger';
import { HeraldMetrics } from '../../src/observability/metrics';
import { loadTypeDefs } from '../../src/schema/load';
import type { Services } from '../../src/services';
import { buildServices } from '../../src/services/build-services';
import type { BenchHerald } from './bench-herald';
import { onCleanup } from './cleanup';

/** Services and an HTTP endpoint to run mutations against, and the session the refresh samples rotate. */
export interface Stack {
  services: Services;
  /** Base URL of its HTTP server (POST /graphql). */
  url: string;
  refreshToken: string;
}

/** Herald as it runs: its own services and HTTP server. */
export function heraldStack(bench: BenchHerald): Stack {
  return { services: bench.herald.parts.services, url: bench.herald.url, refreshToken: '' };
}

/**
 * Herald's services and HTTP stack built again from the same code (as src/server.ts builds them),
 * on the same database and event loop, but on a Transactions whose event store appends nothing:
 * no lock, no event or delivery rows, nothing to publish or handle. The domain writes are identical.
 */
export async function unrecordedStack(bench: BenchHerald): Promise<Stack & { stop(): Promise<void> }> {
  const { config } = bench;
  const { dataSource, serviceParts } = bench.herald.parts;
  const transactions = new Transactions(dataSource, new DiscardingEventStore(), () => undefined);
  // Built by the same code as Herald's; its limiters count under the same keys, so both sides make
  // the same Redis round trips.
  const services: Services = buildServices({ ...serviceParts, transactions });
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: createResolvers() as never });
  const http = await createHttpApp({
    config,
    schema,
    services,
    logger: createLogger('silent'),
    // Its own metrics registry, so both sides pay for the same per-operation metrics plugin.
    metrics: new HeraldMetrics({
      instanceId: 'bench-unrecorded',
      instanceName: 'bench-unrecorded',
      listeners: [],
      dataSource,
      liveStats: () => ({ connections: 0, subscriptions: 0, streams: 0 }),
      logger: createLogger('silent'),
    }),
    readiness: async () => ({}),
    onDrain: async () => undefined,
  });
  await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
  const stop = onCleanup(() => http.apollo.stop());
  const { port } = http.server.address() as AddressInfo;
  return { services, url: `http://127.0.0.1:${port}`, refreshToken: '', stop };
}

/** Records nothing: the "without events" side of the comparison. */
class DiscardingEventStore extends EventStore {
  constructor() {
    super(() => []);
  }

  override async append(): Promise<never[]> {
    return [];
  }
}
