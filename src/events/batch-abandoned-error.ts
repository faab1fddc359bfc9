/**
 * Rejects a `ctx.complete` that did nothing wrong: another completion in its batch overran its
 * run's time (or its instance stopped), so the whole batch was rolled back. Retrying helps.
 */
export class BatchAbandonedError extends Error {
  constructor(reason: string) {
    super(`completion rolled back with its batch: ${reason}`);
    this.name = 'BatchAbandonedError';
  }
}
