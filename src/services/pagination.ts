import { BadUserInputError } from '../errors/domain-errors';

export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 200;

/** `first`, checked: 1 to PAGE_MAX, PAGE_DEFAULT when absent. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 1 || first > PAGE_MAX) {
    throw new BadUserInputError('first', `Ask for 1 to ${PAGE_MAX} items per page.`);
  }
  return first;
}

const BIGINT_MAX = 2n ** 63n - 1n;

/** True for the text of a row id or seq: digits that fit PostgreSQL's bigint (else the query fails). */
export function isRowId(value: string): boolean {
  return /^\d{1,19}$/.test(value) && BigInt(value) <= BIGINT_MAX;
}

/** A numeric cursor (an event seq or a row id), checked; null when absent. */
export function numericCursor(field: string, after: string | null | undefined): string | null {
  if (after === null || after === undefined || after === '') return null;
  if (!isRowId(after)) {
    throw new BadUserInputError(field, 'Pass the endCursor (or an event seq) from a previous page.');
  }
  return after;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A Relay connection from `size + 1` fetched rows (the extra one only tells there is a next page). */
export function connection<T>(rows: T[], size: number, cursorOf: (row: T) => string): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}
