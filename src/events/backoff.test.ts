import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('doubles the ceiling per attempt and stays in its upper half', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, 60_000, () => 0)).toBe(2000);
    expect(retryDelayMs(3, 1000, 60_000, () => 1)).toBe(4000);
  });

  it('never shrinks from one attempt to the next below the cap, whatever the jitter', () => {
    for (let attempt = 1; 100 * 2 ** attempt <= 60_000; attempt++) {
      expect(retryDelayMs(attempt + 1, 100, 60_000, () => 0)).toBeGreaterThanOrEqual(
        retryDelayMs(attempt, 100, 60_000, () => 1),
      );
    }
  });

  it('never shrinks from one attempt to the next past the cap either (the first capped delay included)', () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      expect(retryDelayMs(attempt + 1, 1000, 60_000, () => 0)).toBeGreaterThanOrEqual(retryDelayMs(attempt, 1000, 60_000, () => 1));
    }
  });

  it('is capped', () => {
    expect(retryDelayMs(40, 1000, 60_000, () => 1)).toBe(60_000);
  });

  it('is capped at five minutes by default', () => {
    expect(retryDelayMs(40, 1000, undefined, () => 1)).toBe(300_000);
    expect(retryDelayMs(40, 1000, undefined, () => 0)).toBe(300_000);
  });
});
