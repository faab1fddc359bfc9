import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A new signing secret, as Standard Webhooks writes them: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The key bytes a secret signs with: the base64 after `whsec_`. */
export function secretKeyBytes(secret: string): Buffer {
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

const SECRET_PREFIX = 'whsec_';
/** Version tag of the stored form, so the cipher can change without a guess. */
const STORED_VERSION = 'v1';

/**
 * Endpoint secrets at rest: AES-256-GCM under a key derived from Herald's master key
 * (`stored-secrets`, src/auth/secret-key.ts), stored as `v1.<iv>.<tag>.<ciphertext>` (base64url).
 * The endpoint's id is the additional data, so a stored secret copied to another row does not open.
 */
export class WebhookSecrets {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the stored-secrets key must be 32 bytes');
  }

  seal(endpointId: string, secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(endpointId));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [STORED_VERSION, iv, cipher.getAuthTag(), sealed].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  open(endpointId: string, stored: string): string {
    const [version, iv, tag, sealed] = stored.split('.');
    if (version !== STORED_VERSION || !iv || !tag || sealed === undefined) throw new Error('unknown stored secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(endpointId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  }
}
