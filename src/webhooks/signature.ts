import { createHmac } from 'node:crypto';
import { secretKeyBytes } from './webhook-secrets';

/**
 * The Standard Webhooks headers of one attempt: `webhook-id` (the event id, the same on every
 * retry), `webhook-timestamp` (this attempt's Unix seconds) and `webhook-signature`: one
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret, space-separated (the current
 * secret, then a rotated one while it is still valid).
 */
export function signedHeaders(
  message: { id: string; body: string; timestampSeconds: number },
  secrets: readonly string[],
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const content = `${message.id}.${message.timestampSeconds}.${message.body}`;
  const signatures = secrets.map((secret) => `v1,${createHmac('sha256', secretKeyBytes(secret)).update(content).digest('base64')}`);
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(message.timestampSeconds),
    'webhook-signature': signatures.join(' '),
  };
}
