import { BadUserInputError } from '../errors/domain-errors';

/**
 * Validation of user-supplied fields. Each rule returns the normalised value or throws a
 * BAD_USER_INPUT error naming the field and what to fix.
 */
const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]+$/;
// C0/C1 controls and Unicode line/paragraph separators have no place in names or emails.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// Half of a surrogate pair is no character: PostgreSQL refuses it in JSON (event payloads), so a
// value with one would fail its transaction as a 500 instead of being refused here.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const NAME_MAX = 100;

/**
 * An email address as Herald keeps it: NFKC (so a full-width look-alike is the same address),
 * trimmed and lower-cased.
 */
export function email(field: string, value: string): string {
  const normalised = value.normalize('NFKC').trim().toLowerCase();
  if (normalised.length === 0) throw new BadUserInputError(field, 'Enter an email address.');
  if (normalised.length > 254 || CONTROL.test(normalised) || LONE_SURROGATE.test(normalised) || !EMAIL.test(normalised)) {
    throw new BadUserInputError(field, 'Enter a valid email address, such as ada@example.com (254 characters at most).');
  }
  return normalised;
}

/** A password typed to sign in or confirm: any length up to the maximum (new ones: src/auth/password-policy.ts). */
export function typedPassword(field: string, value: string): string {
  if (value.length === 0) throw new BadUserInputError(field, 'Enter your password.');
  if (value.length > 4 * 128) throw new BadUserInputError(field, 'This password is longer than any Herald accepts.');
  return value;
}

export function displayName(field: string, value: string): string {
  const normalised = value.normalize('NFC').trim();
  if (normalised.length === 0) throw new BadUserInputError(field, 'Enter a name.');
  if ([...normalised].length > NAME_MAX) {
    throw new BadUserInputError(field, `Shorten the name to ${NAME_MAX} characters at most.`);
  }
  if (CONTROL.test(normalised)) throw new BadUserInputError(field, 'Remove control characters from the name.');
  if (LONE_SURROGATE.test(normalised)) throw new BadUserInputError(field, 'Remove the broken character (half a surrogate pair) from the name.');
  return normalised;
}

/** A token argument: present and of sane length (the real check is the lookup). */
export function token(field: string, value: string): string {
  if (value.length === 0 || value.length > 512) {
    throw new BadUserInputError(field, 'Send the token exactly as it was issued.');
  }
  return value;
}
