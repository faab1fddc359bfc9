import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values never reach a log line, wherever they appear in a logged object.
 * pino's redaction needs explicit paths, so the common nestings are listed.
 */
const SECRET_KEYS = [
  'password',
  'passwordHash',
  'password_hash',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'jwtSecret',
];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

/** Structured JSON logs with secrets redacted. `destination` lets tests capture the lines. */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { service: 'herald' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
