import { ForbiddenError, UnauthenticatedError } from '../errors/domain-errors';
import { platformAdmin, signedIn } from './access';
import type { RequestContext, Viewer } from './request-context';

/** The two platform-level access rules: signed in, and platform admin. */
const viewer = (isPlatformAdmin: boolean): Viewer => ({ userId: 'u', sessionId: 's', email: 'a@example.com', emailVerified: true, isPlatformAdmin }) as Viewer;
const ctx = (v: Viewer | null) => ({ viewer: v }) as RequestContext;

it('lets a signed-in caller through, and refuses an anonymous one with UNAUTHENTICATED', () => {
  const member = viewer(false);
  expect(signedIn(ctx(member))).toBe(member);
  expect(() => signedIn(ctx(null))).toThrow(UnauthenticatedError);
});

it('lets a platform admin through; FORBIDDEN for another user, UNAUTHENTICATED for nobody', () => {
  const admin = viewer(true);
  expect(platformAdmin(ctx(admin))).toBe(admin);
  expect(() => platformAdmin(ctx(viewer(false)))).toThrow(new ForbiddenError('Only platform admins may do this.'));
  expect(() => platformAdmin(ctx(null))).toThrow(UnauthenticatedError);
});
