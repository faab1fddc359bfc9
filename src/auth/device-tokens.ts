import jwt from 'jsonwebtoken';
import { v7 as uuidv7 } from 'uuid';

const ALGORITHM = 'HS256';
const ISSUER = 'herald';
/** Its own audience, so a device token is never taken for an access token, nor the reverse. */
const AUDIENCE = 'herald-device';
/** A device stays known for a year after its last sign-in (each sign-in renews its token). */
const TTL_SECONDS = 365 * 86400;

/** What a device token asserts: this browser or app signed in to this account before. */
export interface DeviceClaims {
  userId: string;
  deviceId: string;
}

/**
 * OWASP's "device cookie" (DESIGN §6b "Devices"): a signed token naming a user and a device id,
 * returned by every successful sign-in. It proves nothing about who types the password; it only
 * lets the owner's known device be throttled on its own, apart from failures others cause.
 */
export class DeviceTokens {
  constructor(private readonly secret: string) {}

  /** A token for `deviceId` (a new device id when absent). */
  issue(userId: string, deviceId: string = uuidv7()): { token: string; deviceId: string } {
    const token = jwt.sign({ did: deviceId }, this.secret, {
      algorithm: ALGORITHM,
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: userId,
      expiresIn: TTL_SECONDS,
    });
    return { token, deviceId };
  }

  /** The claims of a valid token, or null for anything else (absent, expired, tampered, another audience). */
  verify(token: string | null | undefined): DeviceClaims | null {
    if (!token) return null;
    try {
      const claims = jwt.verify(token, this.secret, { algorithms: [ALGORITHM], issuer: ISSUER, audience: AUDIENCE });
      if (typeof claims !== 'object' || typeof claims.sub !== 'string' || typeof claims.did !== 'string') return null;
      if (!/^[0-9a-f-]{36}$/.test(claims.did)) return null;
      return { userId: claims.sub, deviceId: claims.did };
    } catch {
      return null;
    }
  }
}
