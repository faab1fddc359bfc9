import { PLATFORM_QUEUE } from './delivery-schedule';
import { TenantRate } from './tenant-rate';

describe('TenantRate', () => {
  let now = 0;
  const clock = () => now;
  const A = '00000000-0000-0000-0000-00000000000a';
  const B = '00000000-0000-0000-0000-00000000000b';

  beforeEach(() => {
    now = 0;
  });

  it('lets a tenant it has not seen take a whole burst, then only what has refilled', () => {
    const rate = new TenantRate(10, 10, clock);
    expect(rate.limits()).toEqual({ queues: [], counts: [], burst: 10 });
    rate.take(A, 10);
    expect(rate.limits()).toEqual({ queues: [A], counts: [0], burst: 10 });
    now += 250; // 2.5 tokens
    expect(rate.limits().counts).toEqual([2]);
    rate.take(A, 2);
    now += 50; // 0.5 + 0.5
    expect(rate.limits().counts).toEqual([1]);
  });

  it('keeps tenants apart and forgets a bucket once it is full again', () => {
    const rate = new TenantRate(4, 4, clock);
    rate.take(A, 4);
    rate.take(B, 1);
    expect(rate.limits()).toEqual({ queues: [A, B], counts: [0, 3], burst: 4 });
    now += 1_000;
    expect(rate.limits()).toEqual({ queues: [], counts: [], burst: 4 });
  });

  it('never limits platform-level work', () => {
    const rate = new TenantRate(1, 1, clock);
    rate.take(PLATFORM_QUEUE, 100);
    expect(rate.limits().queues).toEqual([]);
  });

  it('says when a tenant that ran out has a token again', () => {
    const rate = new TenantRate(2, 2, clock);
    expect(rate.nextTokenInMs()).toBeNull();
    rate.take(A, 2);
    expect(rate.nextTokenInMs()).toBe(500);
    now += 200;
    expect(rate.nextTokenInMs()).toBeCloseTo(300);
  });

  it('does not count a tenant with a whole token left as run out', () => {
    const rate = new TenantRate(2, 2, clock);
    rate.take(A, 1);
    expect(rate.nextTokenInMs()).toBeNull();
  });

  it('answers for the tenant that has a token again first', () => {
    const rate = new TenantRate(2, 2, clock);
    rate.take(A, 2);
    now += 200;
    rate.take(B, 2);
    expect(rate.nextTokenInMs()).toBeCloseTo(300);
  });

  it('takes a burst of one second of the rate by default, and at least one run', () => {
    expect(new TenantRate(10, undefined, clock).limits().burst).toBe(10);
    expect(new TenantRate(2.5, undefined, clock).limits().burst).toBe(3);
    expect(new TenantRate(0.1, undefined, clock).limits().burst).toBe(1);
  });
});
