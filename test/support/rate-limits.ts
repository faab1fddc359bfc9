import { RateLimitedError } from '../../src/errors/domain-errors';

/** Runs `charge` `count` times: 'ok' for each that passed, the retry-after seconds for each RATE_LIMITED. */
export async function charges(count: number, charge: () => Promise<void>): Promise<(number | 'ok')[]> {
  const outcomes: (number | 'ok')[] = [];
  for (let i = 0; i < count; i++) {
    try {
      await charge();
      outcomes.push('ok');
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      outcomes.push(error.retryAfterSeconds);
    }
  }
  return outcomes;
}
