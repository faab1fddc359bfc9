import jwt from 'jsonwebtoken';
import { isUuid } from '../db/uuid';

const ALGORITHM = 'HS256';
const ISSUER = 'herald';
const AUDIENCE = 'herald-api';

/** What an access token asserts. */
export interface AccessClaims {
  /** The user id. */
  userId: string;
  /** The session (refresh-token family) the token was issued from. */
  sessionId: string;
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
}

/**
 * Short-lived JWT access tokens. Verification pins the algorithm (so `alg: none` and key confusion
 * fail) and checks issuer, audience and expiry.
 */
export class AccessTokens {
  constructor(
    private readonly secret: string,
    /** Lifetime in seconds. */
    readonly ttlSeconds: number,
  ) {}

  issue(userId: string, sessionId: string): string {
    return jwt.sign({ sid: sessionId }, this.secret, {
      algorithm: ALGORITHM,
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: userId,
      expiresIn: this.ttlSeconds,
    });
  }

  /** The claims of a valid token, or null for anything else (expired, tampered, wrong audience...). */
  verify(token: string): AccessClaims | null {
    try {
      const claims = jwt.verify(token, this.secret, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      if (typeof claims !== 'object' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') {
        return null;
      }
      // Signed by us, but ids that are not UUIDs would only make the session lookup fail (a 500).
      if (!isUuid(claims.sub) || !isUuid(claims.sid)) return null;
      return { userId: claims.sub, sessionId: claims.sid, expiresAt: claims.exp ?? 0 };
    } catch {
      return null;
    }
  }
}

/** The token of an `Authorization: Bearer <token>` value, or null. */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1] : null;
}
