import { HashPool } from './hash-pool';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A pool whose works end only when the test says so, recording the order they started in. */
function harness(slots: number, queuePerAddress = 100) {
  const pool = new HashPool(slots, queuePerAddress);
  const started: string[] = [];
  const gates: (() => void)[] = [];
  const submit = (address: string, label: string) =>
    pool.run(address, () => {
      started.push(label);
      return new Promise<void>((resolve) => gates.push(resolve));
    });
  const finishOne = async () => {
    gates.shift()!();
    await settle();
  };
  return { pool, started, submit, finishOne };
}

describe('HashPool', () => {
  it('runs at most `slots` works at once', async () => {
    const { started, submit } = harness(2);
    for (let i = 0; i < 5; i++) void submit('198.51.100.1', `a${i}`);
    await settle();
    expect(started).toEqual(['a0', 'a1']);
  });

  it("gives a quiet address the next free slot, ahead of a flooding address's queue", async () => {
    const { started, submit, finishOne } = harness(2);
    for (let i = 0; i < 60; i++) void submit('198.51.100.1', `flood${i}`);
    await settle();
    void submit('203.0.113.5', 'quiet');
    await settle();
    await finishOne();
    expect(started).toEqual(['flood0', 'flood1', 'quiet']);
  });

  it('serves the waiting address served longest ago first, never-served ones before all', async () => {
    const { started, submit, finishOne } = harness(1);
    void submit('198.51.100.1', 'a0');
    await settle();
    for (let i = 1; i <= 3; i++) void submit('198.51.100.1', `a${i}`);
    for (let i = 0; i < 2; i++) void submit('203.0.113.5', `b${i}`);
    void submit('2001:db8:1:2::7', 'c0');
    await settle();
    for (let i = 0; i < 6; i++) await finishOne();
    expect(started).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'a2', 'a3']);
  });

  it('counts an IPv6 /64 as one address', async () => {
    const { pool, submit } = harness(1);
    void submit('2001:db8:1:2::1', 'x');
    void submit('2001:db8:1:2::2', 'y');
    void submit('2001:db8:1:2::3', 'z');
    await settle();
    expect(pool.queued()).toEqual({ '2001:db8:1:2::/64': 2 });
  });

  it('refuses an address whose queue is full with RATE_LIMITED, and serves the others', async () => {
    const { submit } = harness(1, 2);
    void submit('198.51.100.1', 'a0');
    void submit('198.51.100.1', 'a1');
    void submit('198.51.100.1', 'a2');
    await settle();
    await expect(submit('198.51.100.1', 'a3')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    void submit('203.0.113.5', 'b0');
  });

  it('remembers the last turn of 1,000 addresses; one forgotten counts as never served', async () => {
    const pool = new HashPool(1, 10);
    // 999 addresses served once each, oldest first: 10.0.x.y for x.y in 0.1 … 3.231.
    const address = (n: number) => `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    for (let n = 0; n < 999; n++) await pool.run(address(n), async () => undefined);
    const order: string[] = [];
    let release = () => {};
    // The 1,000th address holds the slot; the oldest one and a new one wait for it, the oldest queued first.
    const holder = pool.run('192.0.2.1', () => new Promise<void>((resolve) => (release = resolve)));
    await settle();
    const oldest = pool.run(address(0), async () => void order.push('oldest'));
    const fresh = pool.run('192.0.2.2', async () => void order.push('never served'));
    release();
    await Promise.all([holder, oldest, fresh]);
    // The oldest of 1,000 is still remembered (served at turn 0), so the never-served address goes first.
    expect(order).toEqual(['never served', 'oldest']);
  });

  it('counts work without an address as one address, "unknown"', async () => {
    const { pool, submit } = harness(1);
    void submit('198.51.100.1', 'holder');
    await settle();
    void pool.run(null, async () => undefined);
    void pool.run(null, async () => undefined);
    expect(pool.queued()).toEqual({ unknown: 2 });
  });

  it('forgets the address served longest ago beyond 1,000: it then counts as never served', async () => {
    const pool = new HashPool(1, 10);
    const address = (n: number) => `10.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    for (let n = 0; n < 1000; n++) await pool.run(address(n), async () => undefined);
    const order: string[] = [];
    let release = () => {};
    // The 1,001st address holds the slot: the oldest is forgotten. It waits, queued first, beside a new one.
    const holder = pool.run('192.0.2.1', () => new Promise<void>((resolve) => (release = resolve)));
    await settle();
    const oldest = pool.run(address(0), async () => void order.push('forgotten'));
    const fresh = pool.run('192.0.2.2', async () => void order.push('never served'));
    release();
    await Promise.all([holder, oldest, fresh]);
    // Both count as never served: the one queued first goes first.
    expect(order).toEqual(['forgotten', 'never served']);
  });
});

