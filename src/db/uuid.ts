const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its canonical text form. Check ids from clients before a query casts them. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * An id as Herald spells it everywhere: a UUID in lower case (PostgreSQL's own text form), any
 * other string unchanged (it names no row). PostgreSQL reads `ABC…` and `abc…` as one uuid, but
 * JavaScript compares strings: ids from clients pass through here at the API boundary, so one
 * tenant or user is one string in events, stream keys and revocation checks.
 */
export function canonicalId(value: string): string {
  return isUuid(value) ? value.toLowerCase() : value;
}
