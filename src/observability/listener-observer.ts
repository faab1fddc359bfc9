import type { EventEnvelope } from '../events/envelope';
import type { RunOutcome } from '../events/listener-runtime';
import type { HeraldMetrics } from './metrics';
import { SpanKind, startSpan } from './tracing';

/**
 * ListenerRuntime's `observe` hook: each listener run is a span in the trace of the request that
 * caused its event (the event context's traceparent), and is timed and counted in the metrics.
 */
export function observeListenerRuns(metrics: HeraldMetrics) {
  return (run: { listener: string; event: EventEnvelope; attempt: number }) => {
    const scope = startSpan(`listener ${run.listener}`, SpanKind.CONSUMER, run.event.context.traceparent, {
      'herald.listener': run.listener,
      'herald.event.name': run.event.name,
      'herald.event.id': run.event.id,
      'herald.delivery.attempt': run.attempt,
    });
    const finished = metrics.listenerRunStarted(run.listener);
    return (outcome: RunOutcome) => {
      finished(outcome);
      scope.span.setAttribute('herald.delivery.outcome', outcome);
      scope.end(outcome === 'done' || outcome === 'lease_lost' ? undefined : new Error(`listener run: ${outcome}`));
    };
  };
}
