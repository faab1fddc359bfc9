/**
 * Delay before retry number `attempt` (1 = after the first failure): base·2^(attempt-1), capped,
 * with "equal jitter" (a random point in the upper half), so retries of many deliveries spread
 * out while each delivery's delays still grow.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs = 5 * 60_000, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
