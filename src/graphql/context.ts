import type { Span } from '@opentelemetry/api';
import { UnauthenticatedError } from '../errors/domain-errors';
import type { Services } from '../services';
import type { RequestContext, Viewer } from '../services/request-context';
import type { RequestLoaders } from '../services/request-loaders';

/** What every resolver receives: the request context (who, from where) and the services. */
export interface GraphQLContext extends RequestContext {
  /**
   * An access token came but was invalid, expired or of an ended session. The request still runs
   * (so `refreshToken` works with a stale header), but operations that need a viewer say why.
   */
  tokenRejected: boolean;
  services: Services;
  /** This operation's batching loaders (users, tenants by id). */
  loaders: RequestLoaders;
  /** The request's OpenTelemetry span (HTTP only), which plugins name after the operation. */
  span?: Span;
}

/** The viewer, or UNAUTHENTICATED with a message that says what to do. */
export function requireViewer(ctx: GraphQLContext): Viewer {
  if (ctx.viewer) return ctx.viewer;
  throw ctx.tokenRejected
    ? new UnauthenticatedError('Your access token is invalid or expired: refresh it or sign in again.')
    : new UnauthenticatedError();
}
