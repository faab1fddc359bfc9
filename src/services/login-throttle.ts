import type { LoginThrottleConfig } from '../config';
import { addressGroup } from '../auth/address-group';

/**
 * The rules of failed-login throttling, as pure functions of counters and time (no I/O). A try is
 * counted as a failure *before* its password is checked (a reservation, under row locks: see
 * src/services/login-failure-counters.ts), and given back when the password was right, so tries
 * sent at once are refused as soon as the counted ones reach a threshold.
 *
 * Counters of failed logins, each forgotten after `windowSeconds` without a failure (addresses in
 * their group: IPv6 by /64, src/services/address-group.ts):
 * - per account + IP pair: after `afterFailures`, that pair waits before each try, base·2^(n−N),
 *   capped: a guesser slows down exponentially while the owner on another IP is unaffected;
 * - per IP across accounts (password spraying): the same progression from `ipAfterFailures`;
 * - per account across IPs: at `lockAfterFailures` the account is locked for `lockSeconds`, from
 *   every IP (the user is told by email), and its counter starts again;
 * - per device, instead of the pair and the IP, for a login presenting a valid device token of its
 *   account (DESIGN §6b): the same progression as a pair, and the account's lock does not apply,
 *   so failures others caused never keep the owner out; its failures still count on the account.
 * Tries refused while throttled are not failures: they neither count nor prolong a wait.
 */
export type ThrottleRules = LoginThrottleConfig;

export type CounterScope = 'device' | 'pair' | 'ip' | 'account';

export interface FailureCounter {
  failures: number;
  /** When the last counted failure happened; null for a counter with none. */
  lastFailureAt: Date | null;
  /** Only accounts are locked. */
  lockedUntil: Date | null;
}

export type Counters = Partial<Record<CounterScope, FailureCounter>>;

export type ThrottleDecision =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; by: CounterScope };

/**
 * The keys of a login's counters. Accounts are keyed by the normalised email, so an unknown email
 * is throttled exactly like a real account and throttling does not reveal which accounts exist.
 * With a trusted device (its id), the device and the account; otherwise without a client IP only
 * the account counter applies.
 */
export function counterKeys(email: string, ip: string | null, deviceId: string | null = null): Partial<Record<CounterScope, string>> {
  if (deviceId) return { device: deviceId, account: email };
  if (!ip) return { account: email };
  const group = addressGroup(ip);
  return { pair: `${email}|${group}`, ip: group, account: email };
}

/** The wait after `failures` failures once `threshold` is reached: base·2^(failures−threshold), capped. */
export function delaySeconds(failures: number, threshold: number, rules: ThrottleRules): number {
  if (failures < threshold) return 0;
  // The exponent is bounded so the power stays finite; the cap applies long before.
  return Math.min(rules.maxDelaySeconds, rules.baseDelaySeconds * 2 ** Math.min(failures - threshold, 40));
}

/** True when the counter's last failure is older than the window: it counts as zero. */
export function isExpired(counter: FailureCounter, now: Date, rules: ThrottleRules): boolean {
  return counter.lastFailureAt === null || now.getTime() - counter.lastFailureAt.getTime() > rules.windowSeconds * 1000;
}

/**
 * May a login with these counters go ahead now; if not, for how long, and because of which counter.
 * A trusted device is not held by the account's lock.
 */
export function decide(counters: Counters, now: Date, rules: ThrottleRules, options: { trustedDevice?: boolean } = {}): ThrottleDecision {
  const locked = options.trustedDevice ? 0 : Math.max(0, (counters.account?.lockedUntil?.getTime() ?? 0) - now.getTime());
  const waits: [CounterScope, number][] = [
    ['device', waitMs(counters.device, rules.afterFailures, now, rules)],
    ['pair', waitMs(counters.pair, rules.afterFailures, now, rules)],
    ['ip', waitMs(counters.ip, rules.ipAfterFailures, now, rules)],
    ['account', locked],
  ];
  const [by, ms] = waits.reduce((longest, wait) => (wait[1] > longest[1] ? wait : longest));
  if (ms <= 0) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)), by };
}

function waitMs(counter: FailureCounter | undefined, threshold: number, now: Date, rules: ThrottleRules): number {
  if (!counter || isExpired(counter, now, rules)) return 0;
  const wait = delaySeconds(counter.failures, threshold, rules);
  return wait === 0 ? 0 : counter.lastFailureAt!.getTime() + wait * 1000 - now.getTime();
}

/** A counter after one more failure at `at` (a counter past its window starts again at one). */
export function countFailure(counter: FailureCounter | undefined, at: Date, rules: ThrottleRules): FailureCounter {
  const previous = counter ?? { failures: 0, lastFailureAt: null, lockedUntil: null };
  const expired = isExpired(previous, at, rules);
  return {
    failures: expired ? 1 : previous.failures + 1,
    // Failures can be counted out of order (listener retries): the latest one defines the wait.
    lastFailureAt: previous.lastFailureAt && !expired && previous.lastFailureAt > at ? previous.lastFailureAt : at,
    lockedUntil: previous.lockedUntil,
  };
}

/**
 * An account counter that reached the lock threshold and is not locked already becomes locked
 * until `at + lockSeconds`, with its failures starting again from zero; otherwise it is unchanged.
 */
export function lockIfDue(
  account: FailureCounter,
  at: Date,
  rules: ThrottleRules,
): { counter: FailureCounter; locked: boolean } {
  const lockedNow = account.lockedUntil !== null && account.lockedUntil > at;
  if (lockedNow || account.failures < rules.lockAfterFailures) return { counter: account, locked: false };
  return {
    counter: { failures: 0, lastFailureAt: account.lastFailureAt, lockedUntil: new Date(at.getTime() + rules.lockSeconds * 1000) },
    locked: true,
  };
}
