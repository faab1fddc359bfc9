import { BadUserInputError } from '../errors/domain-errors';
import type { TenantRole } from '../events/catalog';

export const SLUG_MIN = 3;
export const SLUG_MAX = 40;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Slugs that name parts of the platform (hosts, paths, roles) and so are never a tenant's. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'admin', 'administrator', 'api', 'app', 'apps', 'assets', 'auth', 'billing', 'blog', 'cdn', 'dashboard',
  'dev', 'docs', 'graphql', 'healthz', 'help', 'herald', 'internal', 'login', 'logout', 'mail', 'me',
  'new', 'platform', 'readyz', 'register', 'root', 'settings', 'signup', 'static', 'status', 'support',
  'system', 'tenant', 'tenants', 'test', 'www',
]);

/**
 * A tenant slug: trimmed and lower-cased, then 3 to 40 letters, digits and single dashes (not at
 * either end), and not reserved. It ends up in URLs and host names.
 */
export function slug(field: string, value: string): string {
  const normalised = value.trim().toLowerCase();
  if (normalised.length < SLUG_MIN || normalised.length > SLUG_MAX) {
    throw new BadUserInputError(field, `Choose a slug of ${SLUG_MIN} to ${SLUG_MAX} characters.`);
  }
  if (!SLUG.test(normalised)) {
    throw new BadUserInputError(
      field,
      'Use lowercase letters, digits and single dashes in the slug, starting and ending with a letter or digit.',
    );
  }
  if (RESERVED_SLUGS.has(normalised)) throw new BadUserInputError(field, `"${normalised}" is reserved; choose another slug.`);
  return normalised;
}

/** True when `value` could be a tenant's slug; a lookup by anything else finds nothing. */
export function isSlug(value: string): boolean {
  return value.length >= SLUG_MIN && value.length <= SLUG_MAX && SLUG.test(value);
}

const ROLES: readonly TenantRole[] = ['OWNER', 'ADMIN', 'MEMBER'];

/** A role argument (GraphQL checks the enum; services called otherwise get the same check). */
export function role(field: string, value: string): TenantRole {
  if (!(ROLES as readonly string[]).includes(value)) throw new BadUserInputError(field, `Choose one of ${ROLES.join(', ')}.`);
  return value as TenantRole;
}
