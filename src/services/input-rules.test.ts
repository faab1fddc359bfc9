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

  it('NFKC-normalises emails, so a full-width look-alike is the same address', () => {
    expect(rules.email('email', 'ａｄａ@ｅｘａｍｐｌｅ.com')).toBe('ada@example.com');
    expect(rules.email('email', 'ADA@EXAMPLE.COM')).toBe(rules.email('email', 'ＡＤＡ@example.com'));
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
