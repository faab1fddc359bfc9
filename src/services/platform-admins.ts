/** What decides whether an account is a platform admin. */
export interface AdminFacts {
  email: string;
  emailVerifiedAt: Date | null;
  /** Granted explicitly (`herald admin grant`). */
  adminGranted: boolean;
}

/**
 * The rule, in one place: a platform admin is an account granted the role explicitly, or one whose
 * email is in PLATFORM_ADMIN_EMAILS *and verified*. Registering a listed address proves nothing: its
 * account becomes an admin once it opens the link sent to that address. Derived whenever a viewer is
 * resolved (every request, every token issued or refreshed), never stored from a sign-in.
 */
export class PlatformAdmins {
  constructor(private readonly listed: readonly string[]) {}

  isAdmin(user: AdminFacts): boolean {
    return user.adminGranted || (user.emailVerifiedAt !== null && this.listed.includes(user.email));
  }

  /** Listed, not granted, and not verified yet: an admin once it verifies (worth a line in the logs). */
  awaitsVerification(user: AdminFacts): boolean {
    return !user.adminGranted && user.emailVerifiedAt === null && this.listed.includes(user.email);
  }
}
