/** The value below which a fraction `p` (0..1) of `values` fall: nearest rank, so it is a real sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A figure over several runs: the median, and the spread the runs had. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

/** Per-run ratios `a[i] / b[i]`: each pair was measured back to back, so the shared noise cancels. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value / b[i]);
}

/** `1234.5` → `1,235`; small numbers keep `digits` significant decimals. */
export function formatNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  const decimals = Math.abs(value) >= 100 ? 0 : digits;
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** `median (min–max)` of a spread. */
export function formatSpread(value: Spread, digits = 1, unit = ''): string {
  const f = (n: number) => formatNumber(n, digits) + unit;
  return value.runs > 1 ? `${f(value.median)} (${f(value.min)}–${f(value.max)})` : f(value.median);
}

/** `0.42` → `0.42×`. */
export function formatRatio(value: Spread): string {
  const f = (n: number) => `${n.toFixed(2)}×`;
  return value.runs > 1 ? `${f(value.median)} (${f(value.min)}–${f(value.max)})` : f(value.median);
}
