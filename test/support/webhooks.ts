import { Webhook } from 'standardwebhooks';
import type { TestHerald } from './herald';
import type { ReceivedWebhook } from './webhook-receiver';

export const ENDPOINT_FIELDS = 'id tenantId url eventTypes description enabled disabledReason createdAt';
export const ATTEMPT_FIELDS = 'id endpointId eventId eventName attempt status responseStatus responseBody error durationMs nextAttemptAt createdAt';
export const CREATE_ENDPOINT = `mutation Create($tenantId: ID!, $input: WebhookEndpointInput!) {
  createWebhookEndpoint(tenantId: $tenantId, input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } }
}`;
export const UPDATE_ENDPOINT = `mutation Update($id: ID!, $input: WebhookEndpointUpdate!) { updateWebhookEndpoint(id: $id, input: $input) { ${ENDPOINT_FIELDS} } }`;
export const DELETE_ENDPOINT = `mutation Delete($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
export const ROTATE_SECRET = `mutation Rotate($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`;
export const SEND_TEST = `mutation Test($id: ID!) { sendTestWebhook(id: $id) { ${ATTEMPT_FIELDS} } }`;
export const RETRY_MESSAGE = `mutation Retry($endpointId: ID!, $eventId: ID!) { retryWebhookMessage(endpointId: $endpointId, eventId: $eventId) { ${ATTEMPT_FIELDS} } }`;
export const REPLAY = `mutation Replay($endpointId: ID!, $since: DateTime!) { replayWebhookMessages(endpointId: $endpointId, since: $since) }`;
export const ENDPOINTS = `query Endpoints($tenantId: ID!) { webhookEndpoints(tenantId: $tenantId) { ${ENDPOINT_FIELDS} } }`;
export const ATTEMPTS = `query Attempts($endpointId: ID!, $first: Int, $after: String) {
  webhookAttempts(endpointId: $endpointId, first: $first, after: $after) { edges { cursor node { ${ATTEMPT_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;

export interface CreatedEndpoint {
  id: string;
  secret: string;
}

/** Creates an endpoint through the API (as `token`); fails the test on an error. */
export async function createEndpoint(
  t: TestHerald,
  token: string,
  tenantId: string,
  input: { url: string; eventTypes?: string[]; description?: string },
): Promise<CreatedEndpoint> {
  const response = await t.gql(CREATE_ENDPOINT, { tenantId, input }, token);
  if (response.errors) throw new Error(`createWebhookEndpoint failed: ${JSON.stringify(response.errors)}`);
  const { secret, endpoint } = response.data!.createWebhookEndpoint;
  return { id: endpoint.id, secret };
}

/** Verifies a received message with the `standardwebhooks` package (not Herald's code) and returns its payload. */
export function verified(secret: string, request: ReceivedWebhook): { type: string; timestamp: string; data: Record<string, any> } {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  }) as { type: string; timestamp: string; data: Record<string, any> };
}

/** The type (event name) of each received message. */
export function typesOf(requests: readonly ReceivedWebhook[]): string[] {
  return requests.map((r) => JSON.parse(r.body).type);
}

export const UPDATE_TENANT_NAME = `mutation U($id: ID!, $input: UpdateTenantInput!) { updateTenant(id: $id, input: $input) { id } }`;
