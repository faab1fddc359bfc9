import { BadUserInputError } from '../errors/domain-errors';
import { newPassword, normalisePassword } from './password-policy';

function refusal(value: string): string | null {
  try {
    newPassword('password', value);
    return null;
  } catch (error) {
    if (error instanceof BadUserInputError) return `${error.field}: ${error.message}`;
    throw error;
  }
}

describe('new passwords', () => {
  it.each(['password', '12345678', 'Password', 'PASSWORD1', 'qwertyuiop', 'iloveyou'])(
    'refuses the common password %s with a clear message',
    (value) => {
      expect(refusal(value)).toMatch(/^password: This password is one of the most common ones/);
    },
  );

  it('refuses a common password typed in full-width characters (checked after NFKC)', () => {
    expect(refusal('ｐａｓｓｗｏｒｄ')).toMatch(/most common/);
  });

  it('accepts an uncommon one, and returns it NFKC-normalised', () => {
    expect(newPassword('password', 'correct horse battery')).toBe('correct horse battery');
    expect(newPassword('password', 'ｃｏｒｒｅｃｔ horse battery')).toBe('correct horse battery');
    // "é" composed and decomposed are one password.
    expect(newPassword('password', 'caf\u00e9 au lait noir')).toBe(newPassword('password', 'cafe\u0301 au lait noir'));
  });

  it('bounds the length by characters, not bytes', () => {
    expect(newPassword('password', '🔑🗝🔑🗝🔑🗝🔑🗝')).toBe('🔑🗝🔑🗝🔑🗝🔑🗝');
    expect(refusal('kx7!vq2')).toMatch(/8 to 128 characters \(this one has 7\)/);
    expect(refusal('x'.repeat(129))).toMatch(/8 to 128 characters/);
    expect(newPassword('password', 'kx7!vq2'.repeat(19).slice(0, 128))).toHaveLength(128); // 128 is allowed
    expect(newPassword('password', 'kx7!vq2q')).toHaveLength(8); // and so is 8
  });

  it('normalises to NFKC', () => {
    expect(normalisePassword('ﬁ１')).toBe('fi1');
  });
});
