import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { childOf, formatTraceparent, parseTraceparent, type TraceIds } from './traceparent';

export { SpanKind };

/**
 * One traced unit of work (an HTTP request, a listener run): its OpenTelemetry span, the
 * `traceparent` that its events carry onwards, and the context to run its work in.
 */
export interface TraceScope {
  readonly span: Span;
  readonly traceparent: string;
  readonly traceId: string;
  /** The OpenTelemetry context with this span active (child spans of an SDK attach to it). */
  readonly context: Context;
  /** Ends the span, marked as failed when `error` is given. Safe to call twice. */
  end(error?: unknown): void;
}

/**
 * Starts a span through the OpenTelemetry API under the W3C parent `traceparent`, if valid.
 *
 * Herald depends on the API only: without a registered SDK the API is a no-op and hands back the
 * parent's ids, so Herald makes the span ids itself and the `traceparent` still travels through
 * events, logs and emails. With an SDK registered (see docs/OPERATIONS.md), the SDK's span ids are
 * used and the spans are exported.
 */
export function startSpan(name: string, kind: SpanKind, parent: string | null | undefined, attributes: Attributes = {}): TraceScope {
  const parentIds = parseTraceparent(parent);
  const parentContext = parentIds
    ? trace.setSpanContext(ROOT_CONTEXT, { ...parentIds, isRemote: true })
    : ROOT_CONTEXT;
  // The tracer is looked up per span, so an SDK registered after this module loaded is used.
  let span = trace.getTracer('herald').startSpan(name, { kind, attributes }, parentContext);
  let ids: TraceIds = span.spanContext();
  if (!trace.isSpanContextValid(ids) || ids.spanId === parentIds?.spanId) {
    // The no-op API echoed the parent (or nothing): this unit of work gets span ids of its own.
    ids = childOf(parentIds);
    span = trace.wrapSpanContext({ ...ids, isRemote: false });
  }
  let ended = false;
  return {
    span,
    traceparent: formatTraceparent(ids),
    traceId: ids.traceId,
    context: trace.setSpan(parentContext, span),
    end(error?: unknown) {
      if (ended) return;
      ended = true;
      if (error !== undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        if (error instanceof Error) span.recordException(error);
      }
      span.end();
    },
  };
}
