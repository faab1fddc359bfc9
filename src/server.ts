import { makeExecutableSchema } from '@graphql-tools/schema';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { LinkTokens } from './auth/link-tokens';
import { loadMasterKey, ServerKeys } from './auth/secret-key';
import type { Config } from './config';
import { createDataSource, migrate } from './db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres';
import { DeliveryCompletions } from './events/delivery-completions';
import type { EventEnvelope } from './events/envelope';
import { EventPublisher } from './events/event-publisher';
import { EventStore } from './events/event-store';
import { listenerDelays, listenerDependencies, listenerNamesByEvent, type AnyListener } from './events/listener';
import { CircuitBreakers } from './events/circuit-breakers';
import { ListenerRuntime, type ListenerRuntimeOptions } from './events/listener-runtime';
import { createEventBus, subscribeWhenReachable, type EventBus } from './events/pubsub';
import { Transactions } from './events/transactions';
import { withCanonicalIds } from './graphql/canonical-ids';
import { createHttpApp, type HttpParts } from './http/http-app';
import { createListeners } from './listeners';
import { createLogger, type Logger } from './logger';
import { EmailLinks } from './mail/email-links';
import { createMailer, type Mailer } from './mail/mailer';
import { observeListenerRuns } from './observability/listener-observer';
import { HeraldMetrics } from './observability/metrics';
import { MetricsEndpoint } from './observability/metrics-endpoint';
import { waitForDependencies } from './startup/dependency-check';
import { loadTypeDefs } from './schema/load';
import type { Services } from './services';
import { buildServices, type ServiceParts } from './services/build-services';
import { LiveEvents } from './live/live-events';
import { liveOperations } from './live/live-operation';
import { watchRevocations } from './live/revocations';
import { sseHandler } from './live/sse/sse-handler';
import { StreamHub } from './live/stream-hub';
import { ViewerConnections } from './live/viewer-connections';
import { startWebSocketServer, type WebSocketServerHandle } from './live/ws/ws-server';
import { createResolvers } from './resolvers';
import { TenantDatabase } from './db/tenant-database';
import { TenantMigrator } from './db/tenant-migrator';
import { TENANT_MIGRATIONS, type TenantMigration } from './migrations/tenant';
import { tenantsOfUserSql } from './services/tenant-access';
import { TenantAuditLog } from './services/tenant-audit-log';
import { WebhookDelivery } from './webhooks/webhook-delivery';
import { WebhookRequester } from './webhooks/webhook-request';
import { DEPENDENCY_PREFIX, webhookDeliveriesSql } from './webhooks/webhook-routing';
import { WebhookSecrets } from './webhooks/webhook-secrets';

export interface HeraldOptions {
  logger?: Logger;
  /** Listeners added to the built-in ones (tests use this). */
  extraListeners?: AnyListener[];
  runtime?: Partial<Omit<ListenerRuntimeOptions, 'instanceId'>>;
  /** How often the publisher sweeps for unpublished events, ms. */
  sweepIntervalMs?: number;
  /** Replaces the tenant migrations (tests add one to see it reach existing tenants). */
  tenantMigrations?: readonly TenantMigration[];
  /**
   * Wraps every listener before the runtime gets it; the wrapper must keep `name` and `on`. Tests
   * inject failures into built-in listeners with it, so src/ holds no test code.
   */
  wrapListener?: (listener: AnyListener) => AnyListener;
  /** The clock of the webhooks' 5-day rule, epoch ms (tests move it forward); Date.now by default. */
  webhookClock?: () => number;
}

/**
 * The composition root: builds every part with explicit arguments, starts them in order and stops
 * them in reverse. `start` and `stop` are idempotent.
 */
export class Herald {
  readonly instanceId = uuidv7();
  readonly logger: Logger;
  private embedded: EmbeddedPostgres | null = null;
  private dataSource: DataSource | null = null;
  private bus: EventBus | null = null;
  private mailer: Mailer | null = null;
  private publisher: EventPublisher | null = null;
  private runtime: ListenerRuntime | null = null;
  private transactions: Transactions | null = null;
  private services: Services | null = null;
  private serviceParts: ServiceParts | null = null;
  private http: HttpParts | null = null;
  private hub: StreamHub | null = null;
  private ws: WebSocketServerHandle | null = null;
  private connections: ViewerConnections | null = null;
  private stopWatchingRevocations: (() => void) | null = null;
  private metricsEndpoint: MetricsEndpoint | null = null;
  private webhookRequester: WebhookRequester | null = null;
  private metrics: HeraldMetrics | null = null;
  /** Aborted by `stop`, so a start-up still waiting for its services gives up at once. */
  private readonly startAbort = new AbortController();
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly config: Config,
    private readonly options: HeraldOptions = {},
  ) {
    this.logger = options.logger ?? createLogger(config.logLevel);
  }

  /** The address clients use, once started. */
  get url(): string {
    const address = this.http?.server.address() as AddressInfo | null;
    if (!address) throw new Error('Herald is not listening');
    const host = this.config.host === '0.0.0.0' || this.config.host === '::' ? 'localhost' : this.config.host;
    return `http://${host}:${address.port}`;
  }

  /**
   * The started parts, for in-process benchmarks (bench/) that commit events or call services
   * without HTTP. Application code never needs this: resolvers get the services from their context.
   */
  get parts(): { dataSource: DataSource; transactions: Transactions; services: Services; serviceParts: ServiceParts } {
    if (!this.dataSource || !this.transactions || !this.services || !this.serviceParts) throw new Error('Herald is not started');
    return { dataSource: this.dataSource, transactions: this.transactions, services: this.services, serviceParts: this.serviceParts };
  }

  start(): Promise<void> {
    this.starting ??= this.startParts();
    return this.starting;
  }

  private async startParts(): Promise<void> {
    const { config, logger } = this;
    await waitForDependencies({
      databaseUrl: config.databaseUrl,
      redisUrl: config.redisUrl,
      ...config.startup,
      logger,
      signal: this.startAbort.signal,
    });
    if (config.jwtSecretGenerated) {
      logger.warn('JWT_SECRET is not set: using a random secret for this process; sessions end when it restarts');
    }
    const keys = new ServerKeys(await loadMasterKey(config.secretKey, config.dataDir, logger));
    const linkTokens = new LinkTokens(keys.key('link-tokens'));
    // Links in emails point at PUBLIC_URL, or at this server once it listens.
    const links = new EmailLinks(() => config.publicUrl ?? this.url);

    // Database first: everything else records into it.
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      this.embedded = await startEmbeddedPostgres(path.resolve(config.dataDir, 'db'), logger);
      databaseUrl = this.embedded.url;
    }
    const embedded = this.embedded !== null;
    const dataSource = createDataSource(databaseUrl, {
      embedded,
      applicationName: `herald:${this.instanceId}`,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
    });
    try {
      await dataSource.initialize();
    } catch (error) {
      throw new Error(`Cannot connect to PostgreSQL (${embedded ? 'embedded' : 'DATABASE_URL'}): ${(error as Error).message}`);
    }
    this.dataSource = dataSource;
    await migrate(dataSource, embedded);
    // Tenant schemas next, before anything serves a tenant: a schema behind the code would fail.
    const tenantDatabase = new TenantDatabase(dataSource);
    const tenantMigrations = this.options.tenantMigrations ?? TENANT_MIGRATIONS;
    const tenantMigrator = new TenantMigrator(dataSource, tenantDatabase, tenantMigrations, logger);
    await tenantMigrator.migrateAll({ concurrency: embedded ? 1 : 4 });
    const tenantAuditLog = new TenantAuditLog(tenantDatabase);

    const bus = (this.bus = createEventBus({ redisUrl: config.redisUrl, prefix: config.redisPrefix, logger }));
    const mailer = (this.mailer = createMailer({
      smtpUrl: config.smtpUrl,
      from: config.mailFrom,
      mailDir: path.resolve(config.dataDir, 'mail'),
      logger,
    }));
    if (mailer.kind === 'files' && config.nodeEnv === 'production') {
      logger.warn(
        { mailDir: path.resolve(config.dataDir, 'mail') },
        'SMTP_URL is not set in production: every email (verification, reset, invitations, security notices) is written to files and reaches nobody; set SMTP_URL',
      );
    }

    const webhookSecrets = new WebhookSecrets(keys.key('stored-secrets'));
    const webhookRequester = (this.webhookRequester = new WebhookRequester(config.webhooks));
    const webhooks = new WebhookDelivery(dataSource, webhookSecrets, webhookRequester, {
      ...config.webhooks,
      now: this.options.webhookClock ?? Date.now,
      observe: (attempt) => this.metrics?.webhookAttempted(attempt),
    });
    const listeners = [
      ...createListeners({
        dataSource,
        mailer,
        tenantDatabase,
        tenantMigrator,
        tenantAuditLog,
        platformAdminEmails: config.platformAdminEmails,
        loginThrottle: config.loginThrottle,
        accounts: config.accounts,
        links,
        linkTokens,
        webhooks,
        webhookTimeoutMs: config.webhooks.timeoutMs,
      }),
      ...(this.options.extraListeners ?? []),
    ].map(this.options.wrapListener ?? ((listener) => listener));
    const store = new EventStore(listenerNamesByEvent(listeners), tenantsOfUserSql, {
      preparedStatements: !embedded && config.databasePreparedStatements,
      delayOf: listenerDelays(listeners),
      dependencyOf: listenerDependencies(listeners),
      targetedDeliveries: webhookDeliveriesSql,
    });
    const metrics = (this.metrics = new HeraldMetrics({
      instanceId: this.instanceId,
      instanceName: config.instanceName,
      listeners: listeners.map((l) => l.name),
      dataSource,
      liveStats: () => this.liveStats(),
      logger,
    }));
    const metricsEndpoint = (this.metricsEndpoint = new MetricsEndpoint(metrics, config));
    const publisher = (this.publisher = new EventPublisher(dataSource, bus, logger, {
      sweepIntervalMs: this.options.sweepIntervalMs,
      // This instance's commits wake its listeners and its live streams at once (no Redis round trip).
      onCommitted: (events) => {
        this.runtime?.wake();
        this.hub?.committed(events);
      },
      pauseBeforePublish: config.testHooks.pauseBeforePublish ? pauseForever(logger) : undefined,
    }));
    const committed = (events: EventEnvelope[]) => {
      publisher.committed(events);
      metrics.eventsRecorded(events);
    };
    const transactions = (this.transactions = new Transactions(dataSource, store, committed));
    // Listener completions commit in batches; their events go the same way as Transactions'.
    const completions = new DeliveryCompletions({
      dataSource,
      store,
      onCommit: committed,
      terminateAbandoned: !embedded,
      logger,
    });
    const runtimeOptions = {
      ...config.listeners,
      // Requests to one webhook endpoint at once, across instances.
      dependencyConcurrency: { prefix: DEPENDENCY_PREFIX, limit: config.webhooks.endpointConcurrency },
      ...this.options.runtime,
      instanceId: this.instanceId,
    };
    const breakers = new CircuitBreakers(dataSource, transactions, logger, {
      ...config.circuitBreakers,
      instanceId: this.instanceId,
      maxCooldownMs: MAX_BREAKER_COOLDOWN_MS,
      probeMs: runtimeOptions.leaseMs,
    });
    this.runtime = new ListenerRuntime(dataSource, transactions, completions, breakers, listeners, logger, {
      ...runtimeOptions,
      observe: observeListenerRuns(metrics),
    });
    // Other instances' commits wake this one's listeners at once.
    // Not awaited: while Redis is down the subscription waits for it (ioredis queues the command)
    // and takes effect when it answers; meanwhile the runtime's poll and local wake-ups do.
    subscribeWhenReachable(bus, bus.channels.events, () => this.runtime?.wake(), logger);

    const hub = (this.hub = new StreamHub(dataSource, bus, logger));
    this.serviceParts = {
      config,
      dataSource,
      transactions,
      bus,
      horizon: hub.horizon,
      live: (tenantRoleOf) => new LiveEvents(hub, tenantRoleOf, { queueLimit: config.ws.subscriberQueueLimit }, logger),
      tenantDatabase,
      tenantAuditLog,
      logger,
      keys,
      linkTokens,
      links,
      wakeListeners: () => this.runtime?.wake(),
      webhookSecrets,
    };
    const services = (this.services = buildServices(this.serviceParts));
    const live = services.live;
    const schema = withCanonicalIds(makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: createResolvers() as never }));
    // Both transports start operations the same way and count connections in one place.
    const startOperation = liveOperations({ live, logger });
    const connections = (this.connections = new ViewerConnections(config.ws.maxConnectionsPerUser));
    const operations = { limits: config.limits, introspection: config.http.introspection };
    const sse = sseHandler({ schema, services, startOperation, connections, logger, operations });

    let ws: WebSocketServerHandle | null = null;
    this.http = await createHttpApp({
      config,
      schema,
      services,
      logger,
      readiness: () => this.readiness(),
      onDrain: async () => {
        sse.dispose();
        await ws?.dispose();
      },
      metrics,
      metricsEndpoint: metricsEndpoint.mainPortHandler,
      streamHandler: sse.handle,
    });
    ws = this.ws = startWebSocketServer({
      httpServer: this.http.server,
      schema,
      services,
      startOperation,
      connections,
      logger,
      production: config.nodeEnv === 'production',
      trustProxy: config.trustProxy,
      limits: config.ws,
      operations,
    });
    // Not awaited either, for the same reason: revocations reach this instance once Redis answers
    // (its own are handled where they are made).
    const watching = watchRevocations({
      bus,
      live,
      closeSession: (sessionId, reason) => connections.closeSession(sessionId, reason),
    });
    watching.catch((error) => logger.warn({ err: error }, 'could not watch revocations on the pub/sub'));
    this.stopWatchingRevocations = () => void watching.then((stop) => stop(), () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.http!.server.once('error', reject);
      this.http!.server.listen(config.port, config.host, () => resolve());
    });
    await metricsEndpoint.start();

    this.runtime.start();
    publisher.startSweep();
    const mode = { database: embedded ? 'embedded' : 'postgres', pubsub: bus.kind } as const;
    await transactions.run(this.systemOrigin(), async (tx) => {
      tx.record('system.database.connected', { instanceId: this.instanceId, database: mode.database });
      tx.record('system.server.started', { instanceId: this.instanceId, ...mode });
    });
    logger.info(
      { url: this.url, ...mode, mail: mailer.kind, instanceId: this.instanceId, metrics: this.metricsUrl },
      `Herald is ready: GraphQL${config.http.sandbox ? ' and Sandbox' : ''} at ${this.url}/graphql`,
    );
  }

  /** Where GET /metrics answers, or null when metrics are off (production without METRICS_TOKEN/PORT). */
  get metricsUrl(): string | null {
    const ownPort = this.metricsEndpoint?.ownPort;
    if (ownPort) return `${this.url.replace(/:\d+$/, '')}:${ownPort}/metrics`;
    return this.metricsEndpoint?.mainPortHandler ? `${this.url}/metrics` : null;
  }

  /** Live subscription figures of this instance (metrics, tests). */
  liveStats(): { connections: number; subscriptions: number; streams: number; groups: number; renders: number } {
    return {
      connections: this.connections?.size ?? 0,
      subscriptions: this.services?.live.size ?? 0,
      streams: this.hub?.streamCount ?? 0,
      // Subscribers that share a rendering, and events rendered for them (once per group, not per subscriber).
      groups: this.services?.live.fanOut.groupCount ?? 0,
      renders: this.services?.live.fanOut.renderCount ?? 0,
    };
  }

  /**
   * What /readyz reports: each dependency reachable within a second. The instance can serve while
   * PostgreSQL answers; without Redis it serves on its polls (degraded: live events and other
   * instances' wake-ups come up to a poll interval later).
   */
  async readiness(): Promise<{ canServe: boolean; checks: { database: boolean; pubsub: boolean } }> {
    const [database, pubsub] = await Promise.all([
      withDeadline(this.dataSource?.query('SELECT 1').then(() => true) ?? Promise.resolve(false), 1_000),
      withDeadline(this.bus?.isReachable() ?? Promise.resolve(false), 1_000),
    ]);
    return { canServe: database, checks: { database, pubsub } };
  }

  /**
   * Stops accepting, drains HTTP and WebSocket, lets running listeners finish until the deadline
   * and releases the rest, then closes Redis and the database. Safe to call twice.
   */
  stop(signal = 'stop'): Promise<void> {
    this.stopping ??= this.stopParts(signal);
    return this.stopping;
  }

  private async stopParts(signal: string): Promise<void> {
    const deadline = Date.now() + this.config.shutdownTimeoutMs * 0.8;
    this.startAbort.abort();
    await this.starting?.catch(() => undefined);
    const steps: [string, () => Promise<unknown> | undefined][] = [
      [
        'record stopping',
        () =>
          this.transactions?.run(this.systemOrigin(), async (tx) =>
            tx.record('system.server.stopping', { instanceId: this.instanceId, signal }),
          ),
      ],
      // Apollo's drain closes the HTTP server (waiting for requests in flight) and the WebSockets.
      ['http', () => this.http?.apollo.stop()],
      ['metrics', () => this.metricsEndpoint?.close()],
      ['live streams', async () => {
        this.stopWatchingRevocations?.();
        this.connections?.stop();
        await this.hub?.close();
      }],
      ['listeners', () => this.runtime?.stop(deadline)],
      ['publisher', () => this.publisher?.stop()],
      ['pubsub', () => this.bus?.close()],
      ['mail', async () => this.mailer?.close()],
      ['webhooks', async () => this.webhookRequester?.close()],
      ['database', () => (this.dataSource?.isInitialized ? this.dataSource.destroy() : undefined)],
      ['embedded database', () => this.embedded?.stop()],
    ];
    // Every step runs even if one before it failed, so nothing is left open.
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        this.logger.warn({ err: error, step: name }, 'shutdown step failed');
      }
    }
    this.logger.info('Herald stopped');
  }

  private systemOrigin() {
    return { actorId: null, tenantId: null, context: { requestId: null, ip: null, userAgent: null } };
  }
}

/** The longest wait between a breaker's probes, ms: its cooldown doubles after each failed probe up to this. */
const MAX_BREAKER_COOLDOWN_MS = 5 * 60_000;

function withDeadline(check: Promise<boolean>, ms: number): Promise<boolean> {
  return Promise.race([
    check.catch(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
  ]);
}

/** The TEST_PAUSE_BEFORE_PUBLISH hook: announce, then never publish (the test kills the process). */
function pauseForever(logger: Logger) {
  return () => {
    logger.warn('test hook: paused between commit and publish');
    return new Promise<void>(() => undefined);
  };
}
