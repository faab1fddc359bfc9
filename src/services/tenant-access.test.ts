import { DomainError } from '../errors/domain-errors';
import type { TenantRole } from '../events/catalog';
import { ANY_MEMBER, OWNER_ONLY, OWNER_OR_ADMIN, PLATFORM_ADMINS_ONLY, decideTenantAccess } from './tenant-access';

function outcome(role: TenantRole | null, isPlatformAdmin: boolean, allowed: readonly TenantRole[], tenantVisible = true) {
  try {
    decideTenantAccess({ tenantVisible, role, isPlatformAdmin }, allowed);
    return 'ok';
  } catch (error) {
    return (error as DomainError).code;
  }
}

describe('decideTenantAccess', () => {
  it('grants each role what it is allowed and forbids the rest', () => {
    expect([ANY_MEMBER, OWNER_OR_ADMIN, OWNER_ONLY, PLATFORM_ADMINS_ONLY].map((a) => outcome('OWNER', false, a))).toEqual(
      ['ok', 'ok', 'ok', 'FORBIDDEN'],
    );
    expect([ANY_MEMBER, OWNER_OR_ADMIN, OWNER_ONLY].map((a) => outcome('ADMIN', false, a))).toEqual(['ok', 'ok', 'FORBIDDEN']);
    expect([ANY_MEMBER, OWNER_OR_ADMIN].map((a) => outcome('MEMBER', false, a))).toEqual(['ok', 'FORBIDDEN']);
  });

  it('answers a non-member exactly as for a tenant that does not exist', () => {
    expect(outcome(null, false, ANY_MEMBER)).toBe('NOT_FOUND');
    expect(outcome(null, false, ANY_MEMBER, false)).toBe('NOT_FOUND');
  });

  it('lets platform admins do everything on tenants that exist', () => {
    expect(outcome(null, true, PLATFORM_ADMINS_ONLY)).toBe('ok');
    expect(outcome('MEMBER', true, OWNER_ONLY)).toBe('ok');
    expect(outcome(null, true, ANY_MEMBER, false)).toBe('NOT_FOUND');
  });
});

describe('the FORBIDDEN message', () => {
  function message(role: TenantRole, allowed: readonly TenantRole[]): string {
    try {
      decideTenantAccess({ tenantVisible: true, role, isPlatformAdmin: false }, allowed);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('access was granted');
  }

  it("names the roles needed and the viewer's own, or says only platform admins may", () => {
    expect(message('MEMBER', OWNER_OR_ADMIN)).toBe('This needs the role OWNER or ADMIN in this tenant; yours is MEMBER.');
    expect(message('OWNER', PLATFORM_ADMINS_ONLY)).toBe('Only platform admins may do this.');
  });
});
