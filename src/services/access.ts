import { ForbiddenError, UnauthenticatedError } from '../errors/domain-errors';
import type { RequestContext, Viewer } from './request-context';

/** The caller, who must be signed in. */
export function signedIn(ctx: RequestContext): Viewer {
  if (!ctx.viewer) throw new UnauthenticatedError();
  return ctx.viewer;
}

/** The caller, who must be a platform admin. */
export function platformAdmin(ctx: RequestContext): Viewer {
  const viewer = signedIn(ctx);
  if (!viewer.isPlatformAdmin) throw new ForbiddenError('Only platform admins may do this.');
  return viewer;
}
