import { context } from '@opentelemetry/api';
import type { RequestHandler, Response } from 'express';
import { SpanKind, startSpan, type TraceScope } from '../observability/tracing';

/**
 * Starts each request's trace: a server span under the client's `traceparent` when it sent a
 * valid one, else the root of a new trace. The response's `traceresponse` header (W3C Trace
 * Context level 2) tells the client the trace id, which its events, logs and emails carry.
 */
export const startRequestTrace: RequestHandler = (req, res, next) => {
  const scope = startSpan(`${req.method} ${req.baseUrl}`, SpanKind.SERVER, req.get('traceparent'), {
    'http.request.method': req.method,
    'url.path': req.baseUrl,
  });
  res.locals.trace = scope;
  res.setHeader('traceresponse', scope.traceparent);
  res.once('close', () => {
    scope.span.setAttribute('http.response.status_code', res.statusCode);
    scope.end(res.statusCode >= 500 ? new Error(`HTTP ${res.statusCode}`) : undefined);
  });
  next();
};

/**
 * Runs what follows inside the request's trace context. It comes after body parsing, whose
 * stream callbacks lose the context an OpenTelemetry SDK keeps in AsyncLocalStorage.
 */
export const continueRequestTrace: RequestHandler = (_req, res, next) => {
  context.with(requestTrace(res).context, next);
};

export function requestTrace(res: Response): TraceScope {
  return res.locals.trace as TraceScope;
}
