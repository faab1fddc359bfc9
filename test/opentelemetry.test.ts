import { SpanKind, trace } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import { REGISTER, gql } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { recordingTracerProvider } from './support/recording-tracer';
import { waitFor } from './support/wait';

// Stands in for an OpenTelemetry SDK registered at start-up (docs/OPERATIONS.md, "Tracing").
const provider = recordingTracerProvider();
let t: TestHerald;
beforeAll(async () => {
  trace.setGlobalTracerProvider(provider);
  t = await startTestHerald();
});
afterAll(async () => {
  await t.stop();
  trace.disable();
});

it('creates spans for the GraphQL operation and each listener run, in the caller’s trace', async () => {
  const traceId = randomBytes(16).toString('hex');
  const clientSpanId = randomBytes(8).toString('hex');
  const email = uniqueEmail('otel');
  const response = await gql(
    t.url,
    REGISTER,
    { input: { email, password: 'correct horse battery', name: 'Otel' } },
    { headers: { traceparent: `00-${traceId}-${clientSpanId}-01` } },
  );
  expect(response.errors).toBeUndefined();

  const request = provider.spans.find((span) => span.traceId === traceId && span.parentSpanId === clientSpanId)!;
  expect(request).toMatchObject({
    name: 'mutation Register',
    kind: SpanKind.SERVER,
    attributes: expect.objectContaining({ 'graphql.operation.name': 'Register', 'graphql.operation.type': 'mutation' }),
  });

  // The SDK's span id is what the events carry onwards.
  const [event] = await t.db.query<{ traceparent: string }>(
    `SELECT context->>'traceparent' AS traceparent FROM events WHERE name = 'user.registered' AND payload->>'email' = $1`,
    [email],
  );
  expect(event.traceparent).toBe(`00-${traceId}-${request.spanId}-01`);

  const runs = await waitFor(() => {
    const ended = provider.spans.filter((span) => span.traceId === traceId && span.kind === SpanKind.CONSUMER && span.ended);
    return ended.some((span) => span.name === 'listener send-email') && ended;
  }, { what: 'the listener spans' });
  for (const run of runs) {
    expect(run.parentSpanId).toBe(request.spanId);
    expect(run.attributes['herald.delivery.outcome']).toBe('done');
  }
  expect(runs.map((run) => run.name)).toEqual(expect.arrayContaining(['listener send-welcome-email', 'listener send-email']));
  expect(request.ended).toBe(true);
});
