import { dictionary } from '@zxcvbn-ts/language-common';
import { BadUserInputError } from '../errors/domain-errors';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/**
 * The most common passwords (zxcvbn-ts's list: about 49,000, ranked by frequency in leaked-password
 * corpora, shipped with the package, never fetched at run time). Compared in lower case.
 */
let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common']);
  return common;
}

/**
 * The form a password is hashed in: NFKC, so the same password typed on another keyboard or
 * pasted from another app (full-width digits, a composed or decomposed é) is the same password.
 */
export function normalisePassword(value: string): string {
  return value.normalize('NFKC');
}

/**
 * A new password as it will be hashed: NFKC-normalised, 8 to 128 characters, and not one of the
 * most common passwords. Throws BAD_USER_INPUT naming `field` and what to do instead.
 */
export function newPassword(field: string, value: string): string {
  const password = normalisePassword(value);
  const length = [...password].length;
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
    throw new BadUserInputError(
      field,
      `Choose a password of ${PASSWORD_MIN} to ${PASSWORD_MAX} characters (this one has ${length}).`,
    );
  }
  if (commonPasswords().has(password.toLowerCase())) {
    throw new BadUserInputError(
      field,
      'This password is one of the most common ones and would be guessed first: choose another (a few unrelated words make a good one).',
    );
  }
  return password;
}
