import type { EventContext } from '../events/envelope';

/** The authenticated caller of a request. */
export interface Viewer {
  userId: string;
  sessionId: string;
  email: string;
  /** Whether the user proved they own `email`. */
  emailVerified: boolean;
  /** Derived on every request (src/services/platform-admins.ts). */
  isPlatformAdmin: boolean;
  /** When the access token expires, seconds since the epoch (WebSockets close then). */
  tokenExpiresAt: number;
  /** The command line (`npx herald`), acting as a platform admin with no account of its own. */
  operator?: true;
}

/** What every service method receives first: who is asking, and from where. */
export interface RequestContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  viewer: Viewer | null;
  /** The request's W3C traceparent (src/observability/traceparent.ts), carried by its events. */
  traceparent?: string | null;
}

/** The part of a request that travels with the events it causes. */
export function eventContextOf(ctx: RequestContext): EventContext {
  return { requestId: ctx.requestId, ip: ctx.ip, userAgent: ctx.userAgent, traceparent: ctx.traceparent ?? null };
}

/** Whom events a request causes are attributed to: its user; nobody (null) for the command line. */
export function actorIdOf(ctx: RequestContext): string | null {
  return ctx.viewer && !ctx.viewer.operator ? ctx.viewer.userId : null;
}
