import { PLATFORM_QUEUE, tenantQueue } from './delivery-schedule';

it("is the queue expression of the indexes deliveries_claimable and deliveries_running, on the caller's alias", () => {
  // Migration 1764500000000 indexes exactly this expression; another spelling would not use them.
  expect(tenantQueue('d')).toBe("coalesce(d.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)");
  expect(PLATFORM_QUEUE).toBe('00000000-0000-0000-0000-000000000000');
});
