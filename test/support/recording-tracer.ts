import { randomBytes } from 'node:crypto';
import {
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

/** What an OpenTelemetry SDK would export, as plain data. */
export interface RecordedSpan {
  name: string;
  kind: SpanKind | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, AttributeValue | undefined>;
  status: SpanStatus | undefined;
  ended: boolean;
}

/**
 * A minimal tracer provider standing in for an OpenTelemetry SDK: it makes real span ids and
 * records every span, so a test can check what Herald hands the API.
 */
export function recordingTracerProvider(): TracerProvider & { spans: RecordedSpan[] } {
  const spans: RecordedSpan[] = [];
  const tracer: Tracer = {
    startSpan(name: string, options: SpanOptions = {}, context?: Context): Span {
      const parent = context ? trace.getSpanContext(context) : undefined;
      const record: RecordedSpan = {
        name,
        kind: options.kind,
        traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        parentSpanId: parent?.spanId,
        attributes: { ...options.attributes },
        status: undefined,
        ended: false,
      };
      spans.push(record);
      const spanContext: SpanContext = { traceId: record.traceId, spanId: record.spanId, traceFlags: 1 };
      const span: Span = {
        spanContext: () => spanContext,
        setAttribute: (key: string, value: AttributeValue) => ((record.attributes[key] = value), span),
        setAttributes: (attributes: Attributes) => (Object.assign(record.attributes, attributes), span),
        addEvent: () => span,
        addLink: () => span,
        addLinks: () => span,
        setStatus: (status: SpanStatus) => ((record.status = status), span),
        updateName: (newName: string) => ((record.name = newName), span),
        end: () => void (record.ended = true),
        isRecording: () => !record.ended,
        recordException: () => undefined,
      };
      return span;
    },
    startActiveSpan: (() => {
      throw new Error('not used by Herald');
    }) as Tracer['startActiveSpan'],
  };
  return { spans, getTracer: () => tracer };
}
