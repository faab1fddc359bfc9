import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { WebhooksConfig } from '../config';
import { changedRows } from '../db/changed-rows';
import { isUuid } from '../db/uuid';
import { WebhookEndpoint } from '../entities';
import { BadUserInputError, ConflictError, NotFoundError } from '../errors/domain-errors';
import type { Transactions, Tx } from '../events/transactions';
import { cancelMessages, disableEndpoint } from '../webhooks/endpoint-state';
import * as rules from '../webhooks/endpoint-rules';
import { endpointDependency, WEBHOOK_LISTENER } from '../webhooks/webhook-routing';
import { newWebhookSecret, type WebhookSecrets } from '../webhooks/webhook-secrets';
import { connection, numericCursor, pageSize, type Connection } from './pagination';
import { actorIdOf, eventContextOf, type RequestContext } from './request-context';
import { OWNER_OR_ADMIN, type TenantAccess } from './tenant-access';

/** An endpoint as the API shows it: never its secret. */
export interface WebhookEndpointView {
  id: string;
  tenantId: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: Date;
}

export interface WebhookAttemptView {
  id: string;
  endpointId: string;
  eventId: string;
  eventName: string;
  attempt: number;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
}

/** Endpoints one tenant may have: each is a delivery row per event, written in the event's own transaction. */
const MAX_ENDPOINTS_PER_TENANT = 20;
/** How long a rotated-out secret keeps signing. */
const ROTATION_OVERLAP_HOURS = 24;
const NO_SUCH_ENDPOINT = 'No such webhook endpoint.';

/**
 * A tenant's webhook endpoints, for its OWNER/ADMIN and platform admins: every change records its
 * event (and so its audit entry) in the same transaction. Secrets are generated here, shown once,
 * and stored encrypted; they are never in an event, a log line or an error.
 */
export class WebhookService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: TenantAccess,
    private readonly secrets: WebhookSecrets,
    private readonly config: WebhooksConfig,
    /** Tells the listener runtime there is work now (a resent message). */
    private readonly wake: () => void,
  ) {}

  async list(ctx: RequestContext, tenantId: string): Promise<WebhookEndpointView[]> {
    await this.access.require(ctx, { id: tenantId }, OWNER_OR_ADMIN);
    const endpoints = await this.dataSource.query(
      `SELECT * FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
      [tenantId],
    );
    return endpoints.map(viewOfRow);
  }

  async create(
    ctx: RequestContext,
    tenantId: string,
    input: { url: string; eventTypes?: string[] | null; description?: string | null },
  ): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
    const url = rules.endpointUrl(input.url, this.config);
    const eventTypes = rules.eventTypes(input.eventTypes ?? []);
    const description = rules.description(input.description);
    return this.transactions.run(this.origin(ctx, tenantId), async (tx) => {
      await this.access.require(ctx, { id: tenantId }, OWNER_OR_ADMIN, { manager: tx.manager, lock: true });
      const [{ count }]: { count: number }[] = await tx.manager.query(
        `SELECT count(*)::int AS count FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL`,
        [tenantId],
      );
      if (count >= MAX_ENDPOINTS_PER_TENANT) {
        throw new ConflictError(`A tenant can have ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints; delete one first.`);
      }
      const id = uuidv7();
      const secret = newWebhookSecret();
      const [row] = await tx.manager.query(
        `INSERT INTO webhook_endpoints (id, tenant_id, url, event_types, description, enabled, secret_encrypted, created_by)
         VALUES ($1, $2, $3, $4, $5, true, $6, $7) RETURNING *`,
        [id, tenantId, url, eventTypes, description, this.secrets.seal(id, secret), actorIdOf(ctx)],
      );
      tx.record('webhook.endpoint.created', { tenantId, endpointId: id, host: new URL(url).host, eventTypes });
      return { endpoint: viewOfRow(row), secret };
    });
  }

  async update(
    ctx: RequestContext,
    id: string,
    input: { url?: string | null; eventTypes?: string[] | null; description?: string | null; enabled?: boolean | null },
  ): Promise<WebhookEndpointView> {
    const changes: Record<string, unknown> = {};
    if (input.url != null) changes.url = rules.endpointUrl(input.url, this.config);
    if (input.eventTypes != null) changes.event_types = rules.eventTypes(input.eventTypes);
    if (input.description !== undefined) changes.description = rules.description(input.description);
    return this.manage(ctx, id, async (tx, endpoint) => {
      const fields = Object.keys(changes);
      if (fields.length > 0) {
        const assignments = fields.map((field, i) => `${field} = $${i + 2}`).join(', ');
        await tx.manager.query(`UPDATE webhook_endpoints SET ${assignments}, updated_at = now() WHERE id = $1`, [id, ...Object.values(changes)]);
        const url = (changes.url as string | undefined) ?? endpoint.url;
        tx.record('webhook.endpoint.updated', {
          tenantId: endpoint.tenantId,
          endpointId: id,
          fields: fields.map((field) => (field === 'event_types' ? 'eventTypes' : field)),
          host: new URL(url).host,
        });
      }
      if (input.enabled === false) await disableEndpoint(tx, id, 'manual', 'disabled by a tenant admin');
      if (input.enabled === true && !endpoint.enabled) {
        await tx.manager.query(
          `UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL, first_failure_at = NULL, updated_at = now() WHERE id = $1`,
          [id],
        );
        tx.record('webhook.endpoint.enabled', { tenantId: endpoint.tenantId, endpointId: id });
      }
      return viewOf(await tx.manager.findOneByOrFail(WebhookEndpoint, { id }));
    });
  }

  /** Removes the endpoint (kept as deleted for its attempts' history); its waiting messages are cancelled. */
  async delete(ctx: RequestContext, id: string): Promise<boolean> {
    return this.manage(ctx, id, async (tx, endpoint) => {
      await tx.manager.query(`UPDATE webhook_endpoints SET deleted_at = now(), enabled = false, updated_at = now() WHERE id = $1`, [id]);
      await cancelMessages(tx, id, 'endpoint deleted');
      tx.record('webhook.endpoint.deleted', { tenantId: endpoint.tenantId, endpointId: id });
      return true;
    });
  }

  /** A new secret, shown once; the previous one signs too for 24 hours (receivers switch without a gap). */
  async rotate(ctx: RequestContext, id: string): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
    return this.manage(ctx, id, async (tx, endpoint) => {
      const secret = newWebhookSecret();
      const [row] = await changedRows<{ previous_secret_expires_at: Date }>(
        tx.manager,
        `UPDATE webhook_endpoints SET previous_secret_encrypted = secret_encrypted, secret_encrypted = $2,
                previous_secret_expires_at = now() + interval '${ROTATION_OVERLAP_HOURS} hours', updated_at = now()
         WHERE id = $1 RETURNING previous_secret_expires_at`,
        [id, this.secrets.seal(id, secret)],
      );
      tx.record('webhook.secret.rotated', {
        tenantId: endpoint.tenantId,
        endpointId: id,
        previousValidUntil: new Date(row.previous_secret_expires_at).toISOString(),
      });
      return { endpoint: viewOf(endpoint), secret };
    });
  }

  /** Records `webhook.test`, which goes to this endpoint alone; answers with its PENDING attempt. */
  async sendTest(ctx: RequestContext, id: string): Promise<WebhookAttemptView> {
    const attempt = await this.manage(ctx, id, async (tx, endpoint) => {
      if (!endpoint.enabled) throw new ConflictError('This endpoint is disabled: enable it first.');
      const eventId = tx.record('webhook.test', { tenantId: endpoint.tenantId, endpointId: id });
      return this.pendingAttempt(tx, id, eventId, 'webhook.test');
    });
    this.wake();
    return attempt;
  }

  /** Sends one message again now, whatever its state, with a fresh set of attempts and the same webhook-id. */
  async retryMessage(ctx: RequestContext, endpointId: string, eventId: string): Promise<WebhookAttemptView> {
    if (!isUuid(eventId)) throw new BadUserInputError('eventId', 'Pass the id of an event this endpoint was sent.');
    const attempt = await this.manage(ctx, endpointId, async (tx, endpoint) => {
      if (!endpoint.enabled) throw new ConflictError('This endpoint is disabled: enable it first.');
      const [message]: { status: string; name: string }[] = await tx.manager.query(
        `SELECT d.status, e.name FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.event_id = $1 AND d.listener = $2 AND d.dependency = $3 FOR UPDATE OF d`,
        [eventId, WEBHOOK_LISTENER, endpointDependency(endpointId)],
      );
      if (!message) throw new NotFoundError('This endpoint was never sent that event.');
      if (message.status === 'running') throw new ConflictError('This message is being sent right now; look at its attempts.');
      await this.requeue(tx, endpointId, `d.event_id = $3`, [eventId]);
      return this.pendingAttempt(tx, endpointId, eventId, message.name);
    });
    this.wake();
    return attempt;
  }

  /** Sends again every message to the endpoint since `since` that was not delivered (Svix's "recover"); answers how many. */
  async replay(ctx: RequestContext, endpointId: string, since: Date | string): Promise<number> {
    const from = new Date(since);
    if (Number.isNaN(from.getTime())) throw new BadUserInputError('since', 'Pass a date and time, such as 2026-12-01T00:00:00Z.');
    const count = await this.manage(ctx, endpointId, async (tx, endpoint) => {
      if (!endpoint.enabled) throw new ConflictError('This endpoint is disabled: enable it first.');
      return this.requeue(tx, endpointId, `d.status = 'dead' AND e.occurred_at >= $3`, [from]);
    });
    if (count > 0) this.wake();
    return count;
  }

  /** An endpoint's attempts, newest first. */
  async attempts(
    ctx: RequestContext,
    endpointId: string,
    args: { first?: number | null; after?: string | null },
  ): Promise<Connection<WebhookAttemptView>> {
    const size = pageSize(args.first);
    const before = numericCursor('after', args.after);
    await this.load(ctx, endpointId);
    const rows = await this.dataSource.query(
      `SELECT * FROM webhook_attempts WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [endpointId, before, size + 1],
    );
    return connection(rows.map(attemptViewOf), size, (a) => a.id);
  }

  /** Puts the endpoint's messages that match `where` (over d, e; $3… are `values`) back in line; returns how many. */
  private async requeue(tx: Tx, endpointId: string, where: string, values: unknown[]): Promise<number> {
    const rows: unknown[] = await tx.manager.query(
      `WITH requeued AS (
         UPDATE deliveries d SET status = 'pending', attempts = 0, due_at = now(), held_until = NULL, locked_by = NULL,
                last_error = NULL, updated_at = now()
         FROM events e
         WHERE e.id = d.event_id AND d.listener = $1 AND d.dependency = $2 AND d.status <> 'running' AND ${where}
         RETURNING d.id
       ) SELECT id FROM requeued`,
      [WEBHOOK_LISTENER, endpointDependency(endpointId), ...values],
    );
    return rows.length;
  }

  private async pendingAttempt(tx: Tx, endpointId: string, eventId: string, eventName: string): Promise<WebhookAttemptView> {
    const [row] = await tx.manager.query(
      `INSERT INTO webhook_attempts (endpoint_id, event_id, event_name, attempt, status)
       SELECT $1, $2, $3, (SELECT count(*) + 1 FROM webhook_attempts WHERE endpoint_id = $1 AND event_id = $2), 'PENDING'
       WHERE NOT EXISTS (SELECT 1 FROM webhook_attempts WHERE endpoint_id = $1 AND event_id = $2 AND status = 'PENDING')
       RETURNING *`,
      [endpointId, eventId, eventName],
    );
    if (row) return attemptViewOf(row);
    const [pending] = await tx.manager.query(
      `SELECT * FROM webhook_attempts WHERE endpoint_id = $1 AND event_id = $2 AND status = 'PENDING'`,
      [endpointId, eventId],
    );
    return attemptViewOf(pending);
  }

  /** Loads a live endpoint the viewer may manage (NOT_FOUND, the same answer, when missing or not theirs). */
  private async load(ctx: RequestContext, id: string, manager = this.dataSource.manager, lock = false): Promise<WebhookEndpoint> {
    const query = manager.createQueryBuilder(WebhookEndpoint, 'w').where('w.id = :id AND w.deleted_at IS NULL', { id });
    const endpoint = isUuid(id) ? await (lock ? query.setLock('pessimistic_write') : query).getOne() : null;
    if (!endpoint) throw new NotFoundError(NO_SUCH_ENDPOINT);
    try {
      await this.access.require(ctx, { id: endpoint.tenantId }, OWNER_OR_ADMIN, { manager });
    } catch (error) {
      if (error instanceof NotFoundError) throw new NotFoundError(NO_SUCH_ENDPOINT);
      throw error;
    }
    return endpoint;
  }

  /** Runs `work` on an endpoint the viewer may manage, in one transaction with the endpoint row locked. */
  private async manage<T>(ctx: RequestContext, id: string, work: (tx: Tx, endpoint: WebhookEndpoint) => Promise<T>): Promise<T> {
    if (!isUuid(id)) throw new NotFoundError(NO_SUCH_ENDPOINT);
    const [row]: { tenant_id: string }[] = await this.dataSource.query(`SELECT tenant_id FROM webhook_endpoints WHERE id = $1`, [id]);
    return this.transactions.run(this.origin(ctx, row?.tenant_id ?? null), async (tx) => work(tx, await this.load(ctx, id, tx.manager, true)));
  }

  private origin(ctx: RequestContext, tenantId: string | null) {
    return { actorId: actorIdOf(ctx), tenantId, context: eventContextOf(ctx) };
  }
}

function viewOf(endpoint: WebhookEndpoint): WebhookEndpointView {
  const { id, tenantId, url, eventTypes, description, enabled, disabledReason, createdAt } = endpoint;
  return { id, tenantId, url, eventTypes, description, enabled, disabledReason, createdAt };
}

function viewOfRow(row: Record<string, any>): WebhookEndpointView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    createdAt: row.created_at,
  };
}

function attemptViewOf(row: Record<string, any>): WebhookAttemptView {
  return {
    id: String(row.id),
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventName: row.event_name,
    attempt: row.attempt,
    status: row.status,
    responseStatus: row.response_status,
    responseBody: row.response_body,
    error: row.error,
    durationMs: row.duration_ms,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
  };
}
