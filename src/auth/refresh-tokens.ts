import { createHash, createHmac, randomBytes } from 'node:crypto';

/** A new opaque refresh token: 256 random bits, base64url. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the database keeps of a refresh token. A fast hash suffices: the token is random with 256
 * bits of entropy, so it cannot be guessed from its hash the way a password could.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The token that replaces `token` when it is rotated: an HMAC of it under a server key, so every
 * caller that refreshes with `token` (two tabs at once) gets the same successor, while the database
 * still keeps only hashes. Unguessable without the key, like a random token.
 */
export function successorOf(token: string, key: Buffer): string {
  return createHmac('sha256', key).update(`refresh:${token}`).digest('base64url');
}
