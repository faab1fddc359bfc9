import { defineListener } from '../src/events/listener';
import { metricsPlacement } from '../src/observability/metrics-endpoint';
import { ME, REGISTER, gql } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { seriesValue } from './support/prometheus';
import { connect, SECURITY_EVENTS } from './support/ws-client';
import { waitFor } from './support/wait';

const TOKEN = 'metrics-token-0123456789abcdef';

/** Never finishes in time: its deliveries stay due, which is what lag measures. */
const stuck = defineListener({
  name: 'test-stuck',
  on: ['user.registered'],
  maxAttempts: 1,
  async handle() {
    throw new Error('downstream is down');
  },
});

let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald({ METRICS_TOKEN: TOKEN, INSTANCE_NAME: 'metrics-test-a' }, { extraListeners: [stuck] });
});
afterAll(() => t.stop());

async function scrape(url = `${t.url}/metrics`, token: string | null = TOKEN): Promise<string> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

describe('GET /metrics', () => {
  it('answers 401 without the token', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('shows operations, events, listener runs, lag, backlog, live figures and process metrics', async () => {
    const email = uniqueEmail('metrics');
    const registered = await t.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'Metric' } });
    const token = registered.data!.register.accessToken as string;
    await gql(t.url, 'query Me { me { id } }', {}, { token: 'not-a-token' }); // UNAUTHENTICATED
    await gql(t.url, '{ eventStats { events { name } } }', {}, { token }); // anonymous, FORBIDDEN
    const ws = connect(t.url, token);
    await ws.connected;
    const live = ws.subscribe(SECURITY_EVENTS);

    const text = await waitFor(async () => {
      const body = await scrape();
      const ran = seriesValue(body, 'herald_listener_runs_total', { listener: 'send-email', outcome: 'done' });
      const subscribed = seriesValue(body, 'herald_live_subscriptions');
      return ran !== undefined && ran >= 1 && subscribed === 1 && body;
    }, { what: 'the welcome email run and the subscription in the metrics' });

    const instance = { herald_instance: 'metrics-test-a' };
    expect(seriesValue(text, 'herald_graphql_operations_total', { operation: 'Register', type: 'mutation', outcome: 'ok', ...instance })).toBe(1);
    expect(seriesValue(text, 'herald_graphql_operation_duration_seconds_count', { operation: 'Register', outcome: 'ok' })).toBe(1);
    expect(seriesValue(text, 'herald_graphql_operations_total', { operation: 'anonymous', type: 'query', outcome: 'error' })).toBe(1);
    expect(seriesValue(text, 'herald_graphql_operations_total', { operation: 'Me', outcome: 'error' })).toBe(1);
    expect(seriesValue(text, 'herald_graphql_errors_total', { code: 'FORBIDDEN' })).toBe(1);
    expect(seriesValue(text, 'herald_graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(1);
    expect(seriesValue(text, 'herald_events_recorded_total', { name: 'user.registered' })).toBe(1);
    expect(seriesValue(text, 'herald_events_recorded_total', { name: 'notification.email.sent' })).toBe(1);
    expect(seriesValue(text, 'herald_listener_run_duration_seconds_count', { listener: 'send-welcome-email', outcome: 'done' })).toBe(1);
    expect(seriesValue(text, 'herald_listener_runs_total', { listener: 'test-stuck', outcome: 'dead' })).toBe(1);
    expect(seriesValue(text, 'herald_deliveries', { listener: 'test-stuck', status: 'dead' })).toBe(1);
    expect(seriesValue(text, 'herald_listener_lag_seconds', { listener: 'send-email' })).toBeGreaterThanOrEqual(0);
    expect(seriesValue(text, 'herald_outbox_unpublished_events')).toBeGreaterThanOrEqual(0);
    expect(seriesValue(text, 'herald_metrics_database_up')).toBe(1);
    expect(seriesValue(text, 'herald_websocket_connections', instance)).toBe(1);
    expect(seriesValue(text, 'herald_instance_info', { instance_id: t.herald.instanceId })).toBe(1);
    expect(seriesValue(text, 'process_cpu_seconds_total', instance)).toBeGreaterThan(0);
    expect(seriesValue(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    live.stop();
    await ws.dispose();
  });

  it('measures lag as the age of the oldest due delivery', async () => {
    // A delivery due a minute ago and still unclaimed (no instance runs this listener).
    const [event] = await t.db.query<{ id: string }>(`SELECT id FROM events ORDER BY seq LIMIT 1`);
    await t.db.query(
      `INSERT INTO deliveries (event_id, listener, status, due_at) VALUES ($1, 'nobody-runs-this', 'pending', now() - interval '60 seconds')`,
      [event.id],
    );
    const text = await scrape();
    expect(seriesValue(text, 'herald_listener_lag_seconds', { listener: 'nobody-runs-this' })).toBeGreaterThanOrEqual(60);
    expect(seriesValue(text, 'herald_deliveries', { listener: 'nobody-runs-this', status: 'pending' })).toBe(1);
  });

  it('keeps each instance its own registry, and can serve metrics on a port of their own', async () => {
    const peer = await t.startPeer({ METRICS_PORT: '0', METRICS_TOKEN: '', INSTANCE_NAME: 'metrics-test-b' });
    expect(peer.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(peer.metricsUrl).not.toBe(`${peer.url}/metrics`);
    expect((await fetch(`${peer.url}/metrics`)).status).toBe(404);

    const text = await scrape(peer.metricsUrl!, null);
    expect(seriesValue(text, 'herald_instance_info', { instance_id: peer.instanceId, herald_instance: 'metrics-test-b' })).toBe(1);
    // The peer served no operation: the first instance's counters are not in its registry.
    expect(seriesValue(text, 'herald_graphql_operations_total', { operation: 'Register' })).toBeUndefined();
    expect(await gql(peer.url, ME).then((r) => r.status)).toBe(200);
  });
});

describe('where metrics are served', () => {
  const config = (nodeEnv: 'production' | 'development', token?: string, port?: number) => ({
    nodeEnv,
    metrics: { token, port },
  });
  it('is off in production unless a token or a port is configured', () => {
    expect(metricsPlacement(config('production'))).toBe('off');
    expect(metricsPlacement(config('production', 'a-token-of-sixteen+'))).toBe('main-port');
    expect(metricsPlacement(config('production', undefined, 9464))).toBe('own-port');
    expect(metricsPlacement(config('development'))).toBe('main-port');
  });
});
