import { BadUserInputError } from '../errors/domain-errors';
import * as rules from './input-rules';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof BadUserInputError) return error.field;
    throw error;
  }
  return undefined;
}

describe('input rules', () => {
  it('normalises emails and rejects malformed ones', () => {
    expect(rules.email('email', '  Ada@Example.COM ')).toBe('ada@example.com');
    for (const bad of ['', 'ada', 'ada@', '@example.com', 'a b@example.com', 'ada@example', `${'a'.repeat(250)}@x.io`, 'ada@exa\u0000mple.com', 'ada\ud800@example.com']) {
      expect(fieldOf(() => rules.email('email', bad))).toBe('email');
    }
  });

  it('bounds passwords by characters, not bytes', () => {
    expect(rules.password('password', '12345678')).toBe('12345678');
    expect(rules.password('password', '🔑'.repeat(8))).toBe('🔑'.repeat(8));
    expect(fieldOf(() => rules.password('password', '1234567'))).toBe('password');
    expect(fieldOf(() => rules.password('password', 'x'.repeat(129)))).toBe('password');
  });

  it('trims names and refuses empty, long or control-character ones', () => {
    expect(rules.displayName('name', '  Ada Lovelace ')).toBe('Ada Lovelace');
    expect(rules.displayName('name', 'Ada 𝔘')).toBe('Ada 𝔘');
    for (const broken of ['Ada\ud800', '\udc00Ada', 'A\udc00\ud800']) expect(fieldOf(() => rules.displayName('name', broken))).toBe('name');
    for (const bad of ['', '   ', 'x'.repeat(101), 'Ada\nLovelace']) {
      expect(fieldOf(() => rules.displayName('name', bad))).toBe('name');
    }
  });
});
