/** Runs `work` over `items` with at most `limit` at a time; resolves with the results in order. */
export async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Keeps `workers` loops calling `work(n)` (n counts calls across loops) until `stop()`; `stop`
 * resolves once the calls under way have settled. For load that must be in flight while a fault
 * happens.
 */
export function keepBusy(workers: number, work: (n: number) => Promise<void>): { stop: () => Promise<void> } {
  let running = true;
  let n = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) await work(n++);
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}
