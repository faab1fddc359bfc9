import { loadConfig } from '../config';
import { endpointUrl } from './endpoint-rules';

describe('endpointUrl', () => {
  const production = { allowHttp: false, allowPrivateNetworks: false };

  it('accepts https:// only in production, and http:// where allowed', () => {
    expect(endpointUrl(' https://hooks.example.com/in#frag ', production)).toBe('https://hooks.example.com/in');
    expect(() => endpointUrl('http://hooks.example.com/in', production)).toThrow(/https:\/\//);
    expect(endpointUrl('http://hooks.example.com/in', { ...production, allowHttp: true })).toBe('http://hooks.example.com/in');
  });

  it('follows the flag for internal addresses', () => {
    expect(() => endpointUrl('https://[fd00:ec2::254]/', production)).toThrow(/internal/);
    expect(endpointUrl('http://127.0.0.1:8080/', { allowHttp: true, allowPrivateNetworks: true })).toBe('http://127.0.0.1:8080/');
  });
});

describe('webhook configuration', () => {
  const base = { NODE_ENV: 'test' };

  it("defaults to Svix's schedule, 15 s, 5 days, and no private networks", () => {
    const { webhooks } = loadConfig(base);
    expect(webhooks.retryScheduleMs).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(webhooks).toMatchObject({ timeoutMs: 15_000, disableAfterMs: 5 * 86_400_000, allowPrivateNetworks: false, allowHttp: true });
  });

  it('reads a schedule, and refuses one that does not start at once', () => {
    expect(loadConfig({ ...base, WEBHOOK_RETRY_SCHEDULE: '0, 250ms, 2s, 1m' }).webhooks.retryScheduleMs).toEqual([0, 250, 2_000, 60_000]);
    expect(() => loadConfig({ ...base, WEBHOOK_RETRY_SCHEDULE: '5s,1m' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
    expect(() => loadConfig({ ...base, WEBHOOK_RETRY_SCHEDULE: '0,soon' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
  });

  it('accepts http:// in production only with WEBHOOK_ALLOW_PRIVATE_NETWORKS', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), SECRET_KEY: 'a1'.repeat(32) };
    expect(loadConfig(production).webhooks.allowHttp).toBe(false);
    expect(loadConfig({ ...production, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }).webhooks.allowHttp).toBe(true);
  });
});
