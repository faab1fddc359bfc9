import { countFailure, counterKeys, decide, delaySeconds, lockIfDue, type FailureCounter, type ThrottleRules } from './login-throttle';

const RULES: ThrottleRules = {
  afterFailures: 5,
  ipAfterFailures: 20,
  baseDelaySeconds: 1,
  maxDelaySeconds: 900,
  windowSeconds: 3600,
  lockAfterFailures: 20,
  lockSeconds: 900,
};
const NOW = new Date('2026-11-01T12:00:00Z');
const secondsAgo = (s: number) => new Date(NOW.getTime() - s * 1000);
const counter = (failures: number, lastSecondsAgo: number, lockedUntil: Date | null = null): FailureCounter => ({
  failures,
  lastFailureAt: secondsAgo(lastSecondsAgo),
  lockedUntil,
});

describe('delaySeconds', () => {
  it('is zero below the threshold, then doubles from the base up to the cap', () => {
    expect([4, 5, 6, 7, 8].map((n) => delaySeconds(n, 5, RULES))).toEqual([0, 1, 2, 4, 8]);
    expect(delaySeconds(15, 5, RULES)).toBe(900);
    expect(delaySeconds(10_000, 5, RULES)).toBe(900);
  });
});

describe('decide', () => {
  it('allows a login with no counters, or with failures below every threshold', () => {
    expect(decide({}, NOW, RULES)).toEqual({ allowed: true });
    expect(decide({ pair: counter(4, 0), ip: counter(19, 0), account: counter(19, 0) }, NOW, RULES)).toEqual({ allowed: true });
  });

  it('makes an account+IP pair wait 2^(n-N) s after its last failure, rounded up', () => {
    expect(decide({ pair: counter(5, 0) }, NOW, RULES)).toEqual({ allowed: false, retryAfterSeconds: 1, by: 'pair' });
    expect(decide({ pair: counter(7, 1.5) }, NOW, RULES)).toEqual({ allowed: false, retryAfterSeconds: 3, by: 'pair' });
    expect(decide({ pair: counter(7, 4) }, NOW, RULES)).toEqual({ allowed: true });
  });

  it('throttles a spraying IP progressively from its own threshold', () => {
    expect(decide({ ip: counter(20, 0) }, NOW, RULES)).toMatchObject({ allowed: false, retryAfterSeconds: 1, by: 'ip' });
    expect(decide({ ip: counter(25, 10) }, NOW, RULES)).toMatchObject({ allowed: false, retryAfterSeconds: 22, by: 'ip' });
  });

  it('refuses a locked account until the lock ends, whatever the pair and IP say', () => {
    const account = counter(0, 60, new Date(NOW.getTime() + 600_000));
    expect(decide({ account }, NOW, RULES)).toEqual({ allowed: false, retryAfterSeconds: 600, by: 'account' });
    expect(decide({ account: counter(0, 60, secondsAgo(1)) }, NOW, RULES)).toEqual({ allowed: true });
  });

  it('answers with the longest of the waits', () => {
    const decision = decide({ pair: counter(9, 0), ip: counter(21, 0) }, NOW, RULES);
    expect(decision).toEqual({ allowed: false, retryAfterSeconds: 16, by: 'pair' });
  });

  it('names the narrowest counter when two waits are equal (the pair before the IP)', () => {
    expect(decide({ pair: counter(5, 0), ip: counter(20, 0) }, NOW, RULES)).toEqual({ allowed: false, retryAfterSeconds: 1, by: 'pair' });
  });

  it("does not hold back a counter below its threshold whose last failure is ahead of this instance's clock", () => {
    // Another instance counted the failure with a clock a few seconds ahead.
    expect(decide({ pair: counter(4, -5), ip: counter(19, -5) }, NOW, RULES)).toEqual({ allowed: true });
  });

  it('forgets a counter whose last failure is older than the window', () => {
    expect(decide({ pair: counter(12, 3601), ip: counter(40, 3601) }, NOW, RULES)).toEqual({ allowed: true });
  });
});

describe('countFailure', () => {
  it('starts at one, adds one within the window, and starts again after it', () => {
    expect(countFailure(undefined, NOW, RULES)).toEqual({ failures: 1, lastFailureAt: NOW, lockedUntil: null });
    expect(countFailure(counter(3, 10), NOW, RULES)).toEqual({ failures: 4, lastFailureAt: NOW, lockedUntil: null });
    expect(countFailure(counter(3, 3601), NOW, RULES)).toEqual({ failures: 1, lastFailureAt: NOW, lockedUntil: null });
  });

  it('still counts a failure exactly one window old (the window is inclusive)', () => {
    expect(countFailure(counter(3, 3600), NOW, RULES).failures).toBe(4);
  });

  it('keeps the latest failure time when an older failure is counted late', () => {
    const later = counter(3, -5);
    expect(countFailure(later, NOW, RULES)).toEqual({ failures: 4, lastFailureAt: later.lastFailureAt, lockedUntil: null });
  });
});

describe('lockIfDue', () => {
  it('locks an account at the threshold and starts its count again', () => {
    const { counter: locked, locked: didLock } = lockIfDue(counter(20, 0), NOW, RULES);
    expect(didLock).toBe(true);
    expect(locked).toEqual({ failures: 0, lastFailureAt: NOW, lockedUntil: new Date(NOW.getTime() + 900_000) });
  });

  it('leaves an account below the threshold, or already locked, as it is', () => {
    expect(lockIfDue(counter(19, 0), NOW, RULES).locked).toBe(false);
    const already = counter(25, 0, new Date(NOW.getTime() + 1000));
    expect(lockIfDue(already, NOW, RULES)).toEqual({ counter: already, locked: false });
  });

  it('locks again an account whose earlier lock has ended, including one ending at this very moment', () => {
    expect(lockIfDue(counter(20, 0, secondsAgo(60)), NOW, RULES).locked).toBe(true);
    expect(lockIfDue(counter(20, 0, NOW), NOW, RULES).locked).toBe(true);
  });
});

describe('counterKeys', () => {
  it('keys the pair, the IP and the account; without an IP only the account', () => {
    expect(counterKeys('a@example.com', '10.0.0.1')).toEqual({
      pair: 'a@example.com|10.0.0.1',
      ip: '10.0.0.1',
      account: 'a@example.com',
    });
    expect(counterKeys('a@example.com', null)).toEqual({ account: 'a@example.com' });
  });

  it('keys a login with a trusted device by the device and the account, not the pair or the IP', () => {
    expect(counterKeys('a@example.com', '10.0.0.1', 'device-1')).toEqual({ device: 'device-1', account: 'a@example.com' });
  });
});
