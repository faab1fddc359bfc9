import { ConnectionShare } from './request-loaders';

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('ConnectionShare', () => {
  it('runs at most max works at once, and every one of them in turn', async () => {
    const share = new ConnectionShare(3);
    let running = 0;
    const gates: (() => void)[] = [];
    const works = Array.from({ length: 10 }, (_, i) =>
      share.run(async () => {
        running++;
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        return i;
      }),
    );
    await settle();
    expect(running).toBe(3);
    for (let round = 0; round < 4; round++) {
      gates.splice(0).forEach((open) => open());
      await settle();
      expect(running).toBeLessThanOrEqual(3);
    }
    expect(await Promise.all(works)).toEqual([...Array(10).keys()]);
  });

  it('passes the turn on when a work fails', async () => {
    const share = new ConnectionShare(1);
    await expect(share.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await share.run(async () => 'next')).toBe('next');
  });
});
