import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { EventEnvelope } from '../events/envelope';
import type { RunOutcome } from '../events/listener-runtime';
import type { Logger } from '../logger';
import type { AttemptOutcome } from '../webhooks/webhook-delivery';
import { readPipelineFigures } from './pipeline-figures';

/** Distinct operation names kept as label values; more become "other" (names come from clients). */
const MAX_OPERATION_NAMES = 200;
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const DELIVERY_STATES = ['pending', 'retrying', 'running', 'dead'] as const;
const BREAKER_STATES = { closed: 0, half_open: 1, open: 2 } as const;

export interface MetricsSources {
  /** Identifies this process in deliveries.locked_by and logs. */
  instanceId: string;
  /** The `herald_instance` label on every series. */
  instanceName: string;
  /** Every listener this instance runs, so each has a lag series even while idle. */
  listeners: readonly string[];
  dataSource: DataSource;
  liveStats: () => { connections: number; subscriptions: number; streams: number };
  logger: Logger;
  /** Longest a scrape may spend reading the database, ms. */
  databaseTimeoutMs?: number;
}

/**
 * Herald's Prometheus metrics, in a registry of this instance's own (several instances may share
 * a process, as in the tests, so prom-client's global registry is never used). Counters and
 * histograms are fed as things happen; figures that live in the database are read on each scrape.
 */
export class HeraldMetrics {
  readonly registry = new Registry();
  private readonly operationNames = new Set<string>();
  private readonly operations: Counter<'operation' | 'type' | 'outcome'>;
  private readonly operationSeconds: Histogram<'operation' | 'type' | 'outcome'>;
  private readonly graphqlErrors: Counter<'code'>;
  private readonly events: Counter<'name'>;
  private readonly listenerRuns: Counter<'listener' | 'outcome'>;
  private readonly listenerSeconds: Histogram<'listener' | 'outcome'>;
  private readonly deliveries: Gauge<'listener' | 'status'>;
  private readonly lag: Gauge<'listener'>;
  private readonly unpublished: Gauge;
  private readonly oldestUnpublished: Gauge;
  private readonly databaseUp: Gauge;
  private readonly breakers: Gauge<'dependency'>;
  private readonly connections: Gauge;
  private readonly subscriptions: Gauge;
  private readonly streams: Gauge;
  private readonly webhookAttempts: Counter<'outcome'>;
  private readonly webhookSeconds: Histogram<'outcome'>;
  private readonly webhookEndpointsDisabled: Gauge;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ herald_instance: sources.instanceName });
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'herald_instance_info',
      help: 'Always 1; instance_id is the id in deliveries.locked_by and the logs.',
      labelNames: ['instance_id'],
      registers,
    }).set({ instance_id: sources.instanceId }, 1);

    this.operations = new Counter({
      name: 'herald_graphql_operations_total',
      help: 'GraphQL operations over HTTP by operation name, type and outcome (ok or error).',
      labelNames: ['operation', 'type', 'outcome'],
      registers,
    });
    this.operationSeconds = new Histogram({
      name: 'herald_graphql_operation_duration_seconds',
      help: 'Time from receiving a GraphQL operation over HTTP to sending its response.',
      labelNames: ['operation', 'type', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.graphqlErrors = new Counter({
      name: 'herald_graphql_errors_total',
      help: 'GraphQL errors sent over HTTP, by extensions.code.',
      labelNames: ['code'],
      registers,
    });
    this.events = new Counter({
      name: 'herald_events_recorded_total',
      help: 'Events committed by this instance, by name (counted after the commit).',
      labelNames: ['name'],
      registers,
    });
    this.listenerRuns = new Counter({
      name: 'herald_listener_runs_total',
      help: 'Listener runs on this instance by listener and outcome (done, retry, dead, waiting, lease_lost, released, error).',
      labelNames: ['listener', 'outcome'],
      registers,
    });
    this.listenerSeconds = new Histogram({
      name: 'herald_listener_run_duration_seconds',
      help: 'Duration of listener runs on this instance.',
      labelNames: ['listener', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.deliveries = new Gauge({
      name: 'herald_deliveries',
      help: 'Unfinished and dead deliveries per listener and status (from the database: the same on every instance).',
      labelNames: ['listener', 'status'],
      registers,
    });
    this.lag = new Gauge({
      name: 'herald_listener_lag_seconds',
      help: 'Age of the oldest due, unclaimed delivery per listener (from the database).',
      labelNames: ['listener'],
      registers,
    });
    this.unpublished = new Gauge({
      name: 'herald_outbox_unpublished_events',
      help: 'Committed events not yet published to the pub/sub (from the database).',
      registers,
    });
    this.oldestUnpublished = new Gauge({
      name: 'herald_outbox_oldest_unpublished_seconds',
      help: 'Age of the oldest unpublished event (from the database).',
      registers,
    });
    this.databaseUp = new Gauge({
      name: 'herald_metrics_database_up',
      help: '1 when this scrape could read the pipeline figures from the database, 0 when it could not.',
      registers,
    });
    this.breakers = new Gauge({
      name: 'herald_circuit_breaker_state',
      help: 'Circuit breaker of each listener dependency: 0 closed, 1 half open (a probe runs), 2 open (from the database).',
      labelNames: ['dependency'],
      registers,
    });
    this.webhookAttempts = new Counter({
      name: 'herald_webhook_attempts_total',
      help: 'Webhook requests sent by this instance, by outcome (succeeded, failed, timeout, refused, gone). Breakers: herald_circuit_breaker_state{dependency="webhook:<endpoint id>"}.',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookSeconds = new Histogram({
      name: 'herald_webhook_attempt_duration_seconds',
      help: 'Time from sending a webhook request to its answer (or failure), on this instance.',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.webhookEndpointsDisabled = new Gauge({
      name: 'herald_webhook_endpoints_disabled',
      help: 'Webhook endpoints disabled and not deleted (from the database).',
      registers,
    });
    this.connections = new Gauge({ name: 'herald_websocket_connections', help: 'Authenticated WebSocket connections open on this instance.', registers });
    this.subscriptions = new Gauge({ name: 'herald_live_subscriptions', help: 'Live event subscriptions on this instance.', registers });
    this.streams = new Gauge({ name: 'herald_live_streams', help: 'Event streams this instance follows for its subscribers.', registers });
  }

  /** A GraphQL operation over HTTP finished. `errorCodes` are its errors' extensions.code. */
  operationFinished(operation: { name: string | null; type: string | null; seconds: number; errorCodes: string[] }): void {
    const labels = {
      operation: this.operationLabel(operation.name),
      type: operation.type ?? 'unknown',
      outcome: operation.errorCodes.length > 0 ? 'error' : 'ok',
    };
    this.operations.inc(labels);
    this.operationSeconds.observe(labels, operation.seconds);
    for (const code of operation.errorCodes) this.graphqlErrors.inc({ code });
  }

  /** Events this instance committed (the Transactions' onCommit path). */
  eventsRecorded(events: readonly EventEnvelope[]): void {
    for (const event of events) this.events.inc({ name: event.name });
  }

  /** For ListenerRuntime's `observe` option: times a run and counts its outcome. */
  listenerRunStarted(listener: string): (outcome: RunOutcome) => void {
    const stop = this.listenerSeconds.startTimer({ listener });
    return (outcome) => {
      stop({ outcome });
      this.listenerRuns.inc({ listener, outcome });
    };
  }

  /** A webhook attempt ended (src/webhooks/webhook-delivery.ts). */
  webhookAttempted(attempt: { outcome: AttemptOutcome; durationMs: number }): void {
    this.webhookAttempts.inc({ outcome: attempt.outcome });
    this.webhookSeconds.observe({ outcome: attempt.outcome }, attempt.durationMs / 1000);
  }

  /** The exposition text, after reading the current figures. */
  async render(): Promise<string> {
    await this.refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async refresh(): Promise<void> {
    const live = this.sources.liveStats();
    this.connections.set(live.connections);
    this.subscriptions.set(live.subscriptions);
    this.streams.set(live.streams);
    this.deliveries.reset();
    this.lag.reset();
    this.breakers.reset();
    try {
      const figures = await readPipelineFigures(this.sources.dataSource, this.sources.databaseTimeoutMs ?? 2_000);
      for (const listener of this.sources.listeners) {
        this.lag.set({ listener }, 0);
        for (const status of DELIVERY_STATES) this.deliveries.set({ listener, status }, 0);
      }
      for (const row of figures.listeners) {
        this.lag.set({ listener: row.listener }, row.lagSeconds);
        for (const status of DELIVERY_STATES) this.deliveries.set({ listener: row.listener, status }, row[status]);
      }
      for (const breaker of figures.breakers) this.breakers.set({ dependency: breaker.dependency }, BREAKER_STATES[breaker.state]);
      this.unpublished.set(figures.unpublishedEvents);
      this.oldestUnpublished.set(figures.oldestUnpublishedSeconds);
      this.webhookEndpointsDisabled.set(figures.webhookEndpointsDisabled);
      this.databaseUp.set(1);
    } catch (error) {
      // A scrape still answers (process and live figures) when the database is slow or down.
      this.databaseUp.set(0);
      this.sources.logger.warn({ err: error }, 'metrics: could not read pipeline figures from the database');
    }
  }

  private operationLabel(name: string | null): string {
    if (!name) return 'anonymous';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(name);
    return name;
  }
}
