import { defineListener, type EnvelopeOf } from '../events/listener';
import type { WebhookDelivery } from '../webhooks/webhook-delivery';
import { WEBHOOK_LISTENER } from '../webhooks/webhook-routing';

/** How long the runtime lets an attempt run beyond the request's own time limit (signing, recording). */
const RECORDING_MARGIN_MS = 5_000;

/**
 * Any event a tenant's endpoint wants → a signed POST to it (src/webhooks). Its delivery rows are
 * written per endpoint by the event store (`webhookDeliveriesSql`), not by event name, so `on` is
 * empty; each row's dependency names its endpoint, which is also its circuit breaker.
 */
export function deliverWebhook(deps: { webhooks: WebhookDelivery; timeoutMs: number }) {
  // Getters: the deps are touched only when the runtime asks (listenerRoutes builds listeners without them).
  return defineListener({
    name: WEBHOOK_LISTENER,
    on: [],
    get maxAttempts() {
      return deps.webhooks.maxAttempts;
    },
    get timeoutMs() {
      return deps.timeoutMs + RECORDING_MARGIN_MS;
    },
    retryDelayMs: (attempt, error) => deps.webhooks.retryDelayMs(attempt, error),
    handle: (event, ctx) => deps.webhooks.attempt(event as EnvelopeOf<never>, ctx),
    onDead: (event, dead) => deps.webhooks.messageDead(event as EnvelopeOf<never>, dead),
  });
}
