/**
 * Delay before retry number `attempt` (1 = after the first failure): base·2^(attempt-1), capped,
 * with "equal jitter" (a random point in the upper half), so retries of many deliveries spread
 * out while each delivery's delays still grow.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs = 5 * 60_000, random = Math.random): number {
  const uncapped = baseMs * 2 ** Math.max(0, attempt - 1);
  const ceiling = Math.min(maxMs, uncapped);
  // The floor is the previous attempt's ceiling, capped too: halving the capped ceiling instead
  // would let the first capped delay fall below the one before it.
  const floor = Math.min(maxMs, uncapped / 2);
  return Math.round(floor + random() * (ceiling - floor));
}
