/** What erasure writes where personal data was: a fixed marker, so history keeps its shape. */
export const ERASED = '[erased]';

/**
 * `text` with every occurrence of each needle (compared case-insensitively) replaced by ERASED.
 * Needles are the person's addresses, names, IP addresses and user agents; empty ones are ignored.
 */
export function scrubText(text: string, needles: readonly string[]): string {
  let result = text;
  for (const needle of needles) {
    if (!needle) continue;
    const pattern = new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    result = result.replace(pattern, ERASED);
  }
  return result;
}

/** A JSON value with every string that contains a needle scrubbed (keys kept); `changed` when any was. */
export function scrubJson(value: unknown, needles: readonly string[]): { value: unknown; changed: boolean } {
  if (typeof value === 'string') {
    const scrubbed = scrubText(value, needles);
    return { value: scrubbed, changed: scrubbed !== value };
  }
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const result = scrubJson(item, needles);
      changed ||= result.changed;
      return result.value;
    });
    return { value: items, changed };
  }
  if (value && typeof value === 'object') {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const result = scrubJson(item, needles);
      changed ||= result.changed;
      return [key, result.value];
    });
    return { value: Object.fromEntries(entries), changed };
  }
  return { value, changed: false };
}

/** An event's request context with the client's address and user agent replaced by the marker. */
export function scrubContext(context: Record<string, unknown>): Record<string, unknown> {
  return {
    ...context,
    ...(context.ip ? { ip: ERASED } : {}),
    ...(context.userAgent ? { userAgent: ERASED } : {}),
  };
}
