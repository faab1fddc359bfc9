import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { changedRows } from '../db/changed-rows';
import { WebhookEndpoint } from '../entities';
import { UnrecoverableError } from '../errors/domain-errors';
import type { EventEnvelope } from '../events/envelope';
import type { ListenerContext } from '../events/listener';
import type { Tx } from '../events/transactions';
import { disableEndpoint } from './endpoint-state';
import { signedHeaders } from './signature';
import { webhookBody } from './webhook-message';
import { endpointIdOf } from './webhook-routing';
import type { WebhookRequester, WebhookResponse } from './webhook-request';
import type { WebhookSecrets } from './webhook-secrets';

/** How an attempt ended, for metrics. */
export type AttemptOutcome = 'succeeded' | 'failed' | 'refused' | 'timeout' | 'gone';

export interface WebhookDeliveryOptions {
  /** The wait before each attempt, the first 0 (WEBHOOK_RETRY_SCHEDULE). */
  retryScheduleMs: readonly number[];
  /** No success for this long after a failure disables the endpoint (5 days). */
  disableAfterMs: number;
  /** The 5-day rule's clock, epoch ms (tests move it forward). */
  now: () => number;
  /** Called after each attempt (metrics). */
  observe?: (attempt: { outcome: AttemptOutcome; durationMs: number }) => void;
}

/** A failed attempt; `retryAfterMs` is the wait the endpoint asked for. */
export class WebhookAttemptError extends Error {
  override readonly name = 'WebhookAttemptError';
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

/**
 * One attempt of a webhook message (a `deliver-webhook` delivery row): signs the body afresh,
 * posts it, records the attempt, and applies the endpoint rules: a 2xx delivers; 410 disables
 * the endpoint; a failure after 5 days without success disables it too. A failed attempt throws,
 * so the runtime retries it on the schedule (or holds it while the endpoint's breaker is open).
 */
export class WebhookDelivery {
  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: WebhookSecrets,
    private readonly requester: WebhookRequester,
    private readonly options: WebhookDeliveryOptions,
  ) {}

  get maxAttempts(): number {
    return this.options.retryScheduleMs.length;
  }

  /** The wait after failed attempt `attempt` (from 1): the schedule's, or longer when the endpoint asked (Retry-After). */
  retryDelayMs(attempt: number, error: unknown): number {
    const schedule = this.options.retryScheduleMs;
    const planned = schedule[Math.min(attempt, schedule.length - 1)];
    const asked = error instanceof WebhookAttemptError ? (error.retryAfterMs ?? 0) : 0;
    return Math.max(planned, asked);
  }

  async attempt(event: EventEnvelope, ctx: ListenerContext): Promise<void> {
    const endpointId = endpointIdOf(ctx.dependency);
    if (!endpointId) throw new UnrecoverableError('not a webhook message: its delivery row names no endpoint');
    const endpoint = await this.dataSource.getRepository(WebhookEndpoint).findOneBy({ id: endpointId });
    if (!endpoint || endpoint.deletedAt || !endpoint.enabled) {
      throw new UnrecoverableError(`endpoint ${endpointId} is ${endpoint && !endpoint.deletedAt ? 'disabled' : 'deleted'}`);
    }
    const body = webhookBody(event);
    const headers = signedHeaders(
      { id: event.id, body, timestampSeconds: Math.floor(Date.now() / 1000) },
      this.signingSecrets(endpoint),
    );

    const started = performance.now();
    let response: WebhookResponse | null = null;
    let failure: unknown = null;
    try {
      response = await this.requester.post(endpoint.url, headers, body, ctx.signal);
    } catch (error) {
      failure = error;
    }
    const durationMs = Math.round(performance.now() - started);
    const attempt = { endpointId, event, durationMs, response };

    if (response && response.status >= 200 && response.status < 300) {
      this.options.observe?.({ outcome: 'succeeded', durationMs });
      await ctx.complete(async (tx) => {
        await recordAttempt(tx, { ...attempt, status: 'SUCCEEDED', error: null, nextAttemptAt: null });
        // Written when it changes something the 5-day rule reads, or once a minute: an endpoint's
        // row is the same for all its messages, and a write per message would queue them on its lock.
        await tx.manager.query(
          `UPDATE webhook_endpoints SET last_success_at = $2, first_failure_at = NULL
           WHERE id = $1 AND (first_failure_at IS NOT NULL OR last_success_at IS NULL OR last_success_at < $2::timestamptz - interval '1 minute')`,
          [endpointId, new Date(this.options.now())],
        );
      });
      return;
    }

    const error = failure ? describe(failure) : `the endpoint answered HTTP ${response!.status}`;
    const gone = response?.status === 410;
    const retry = new WebhookAttemptError(error, response?.retryAfterMs ?? null);
    const last = ctx.attempt >= this.maxAttempts;
    const nextAttemptAt = gone || last ? null : new Date(Date.now() + this.retryDelayMs(ctx.attempt, retry));
    this.options.observe?.({ outcome: outcomeOf(failure, gone), durationMs });
    const disabled = await ctx.transaction(async (tx) => {
      await recordAttempt(tx, { ...attempt, status: 'FAILED', error, nextAttemptAt });
      if (gone) return disableEndpoint(tx, endpointId, 'gone', 'the endpoint answered 410 Gone');
      const [{ first_failure_at }] = await changedRows<{ first_failure_at: Date }>(
        tx.manager,
        `UPDATE webhook_endpoints SET first_failure_at = coalesce(first_failure_at, $2) WHERE id = $1 RETURNING first_failure_at`,
        [endpointId, new Date(this.options.now())],
      );
      if (this.options.now() - new Date(first_failure_at).getTime() < this.options.disableAfterMs) return false;
      const days = Math.round(this.options.disableAfterMs / 86_400_000);
      return disableEndpoint(tx, endpointId, 'failing', `no successful delivery for ${days} days since ${new Date(first_failure_at).toISOString()}`);
    });
    if (disabled) throw new UnrecoverableError(`${error}; the endpoint is now disabled`);
    throw retry;
  }

  /**
   * In the transaction that marks a message dead: `webhook.message.failed`, unless the endpoint
   * was disabled or deleted meanwhile (its own event says so).
   */
  async messageDead(event: EventEnvelope, dead: { tx: Tx; attempts: number; error: string; dependency: string | null }): Promise<void> {
    const endpointId = endpointIdOf(dead.dependency);
    if (!endpointId) return;
    const [endpoint]: { tenant_id: string }[] = await dead.tx.manager.query(
      `SELECT tenant_id FROM webhook_endpoints WHERE id = $1 AND enabled AND deleted_at IS NULL`,
      [endpointId],
    );
    if (!endpoint) return;
    dead.tx.record(
      'webhook.message.failed',
      { tenantId: endpoint.tenant_id, endpointId, eventId: event.id, eventName: event.name, attempts: dead.attempts, error: dead.error },
      { tenantId: endpoint.tenant_id, actorId: null },
    );
  }

  /** The secrets that sign: the current one, and the previous one until its 24 hours are over. */
  private signingSecrets(endpoint: WebhookEndpoint): string[] {
    const secrets = [this.secrets.open(endpoint.id, endpoint.secretEncrypted)];
    if (endpoint.previousSecretEncrypted && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > Date.now()) {
      secrets.push(this.secrets.open(endpoint.id, endpoint.previousSecretEncrypted));
    }
    return secrets;
  }
}

/** Writes an attempt: fills the PENDING row that retryWebhookMessage/sendTestWebhook left, if there is one. */
async function recordAttempt(
  tx: Tx,
  a: {
    endpointId: string;
    event: EventEnvelope;
    durationMs: number;
    response: WebhookResponse | null;
    status: 'SUCCEEDED' | 'FAILED';
    error: string | null;
    nextAttemptAt: Date | null;
  },
): Promise<void> {
  const values = [a.endpointId, a.event.id, a.event.name, a.status, a.response?.status ?? null, a.response?.body ?? null, a.error, a.durationMs, a.nextAttemptAt];
  await tx.manager.query(
    `WITH pending AS (
       UPDATE webhook_attempts SET status = $4, response_status = $5, response_body = $6, error = $7, duration_ms = $8,
              next_attempt_at = $9, created_at = now()
       WHERE id = (SELECT min(id) FROM webhook_attempts WHERE endpoint_id = $1 AND event_id = $2 AND status = 'PENDING')
       RETURNING id
     )
     INSERT INTO webhook_attempts (endpoint_id, event_id, event_name, attempt, status, response_status, response_body, error,
                                   duration_ms, next_attempt_at)
     SELECT $1, $2, $3, (SELECT count(*) + 1 FROM webhook_attempts WHERE endpoint_id = $1 AND event_id = $2), $4, $5, $6, $7, $8, $9
     WHERE NOT EXISTS (SELECT 1 FROM pending)`,
    values,
  );
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 1000);
}

function outcomeOf(failure: unknown, gone: boolean): AttemptOutcome {
  if (gone) return 'gone';
  if (!failure) return 'failed';
  if ((failure as Error).name === 'RefusedAddressError') return 'refused';
  if (/no answer within/.test((failure as Error).message ?? '')) return 'timeout';
  return 'failed';
}
