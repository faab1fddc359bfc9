import cors from 'cors';
import type { RequestHandler } from 'express';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * CORS for /graphql from the configured allow-list (CORS_ORIGINS): `*`, `localhost` (any port of
 * localhost/127.0.0.1/[::1]) or exact origins. Another origin gets no CORS headers, so its pages
 * cannot read answers, and its non-simple requests (JSON, Authorization) never leave the browser.
 * No credentials: Herald authenticates with bearer tokens, not cookies.
 */
export function corsPolicy(allowed: readonly string[]): RequestHandler {
  const exact = new Set(allowed);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && isAllowed(origin, exact)),
    methods: ['GET', 'POST'],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
}

export function isAllowed(origin: string, allowed: ReadonlySet<string>): boolean {
  if (allowed.has('*') || allowed.has(origin)) return true;
  if (!allowed.has('localhost')) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOCAL_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}
