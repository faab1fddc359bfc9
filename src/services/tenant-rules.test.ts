import { DomainError } from '../errors/domain-errors';
import { slug } from './tenant-rules';

function rejection(value: string): string | undefined {
  try {
    slug('slug', value);
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? `${error.code}:${String(error.extensions.field)}` : 'unexpected';
  }
}

describe('slug', () => {
  it('normalises case and surrounding space', () => {
    expect(slug('slug', '  Acme-Corp ')).toBe('acme-corp');
    expect(slug('slug', 'a1b')).toBe('a1b');
    expect(slug('slug', 'x'.repeat(40))).toBe('x'.repeat(40));
  });

  it.each(['ab', 'x'.repeat(41), 'acme_corp', 'acme corp', '-acme', 'acme-', 'ac--me', 'café', 'acme.io', ''])(
    'refuses %j with BAD_USER_INPUT on the field',
    (value) => expect(rejection(value)).toBe('BAD_USER_INPUT:slug'),
  );

  it.each(['www', 'api', 'admin', 'app', 'WWW'])('refuses the reserved %j', (value) => {
    expect(rejection(value)).toBe('BAD_USER_INPUT:slug');
  });
});
