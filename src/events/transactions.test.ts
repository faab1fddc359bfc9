import type { EntityManager } from 'typeorm';
import type { NewEvent } from './envelope';
import { recordingTx } from './transactions';

/** How a unit of work attributes the events it records (the commit itself: test/event-store.test.ts). */
const context = { requestId: 'r', ip: '127.0.0.1', userAgent: 'jest' };
const manager = {} as EntityManager;
const payload = { tenantId: 't', slug: 's', name: 'n', ownerId: 'o' };

it('attributes events to the origin, and keeps them pending in the order recorded', () => {
  const pending: NewEvent[] = [];
  const tx = recordingTx(manager, { actorId: 'actor', tenantId: 'tenant', context }, pending);
  expect(tx.manager).toBe(manager);
  tx.record('tenant.created', payload);
  tx.record('tenant.updated', payload as never);
  expect(pending).toEqual([
    { name: 'tenant.created', payload, tenantId: 'tenant', actorId: 'actor', context },
    { name: 'tenant.updated', payload, tenantId: 'tenant', actorId: 'actor', context },
  ]);
});

it('takes the tenant and actor an event overrides, null included; an origin without a tenant gives null', () => {
  const pending: NewEvent[] = [];
  const tx = recordingTx(manager, { actorId: 'actor', context }, pending);
  tx.record('tenant.created', payload);
  tx.record('tenant.created', payload, { tenantId: 'other', actorId: 'someone' });
  tx.record('tenant.created', payload, { tenantId: null, actorId: null });
  tx.record('tenant.created', payload, { tenantId: undefined, actorId: undefined });
  expect(pending.map(({ tenantId, actorId }) => ({ tenantId, actorId }))).toEqual([
    { tenantId: null, actorId: 'actor' },
    { tenantId: 'other', actorId: 'someone' },
    { tenantId: null, actorId: null },
    { tenantId: null, actorId: 'actor' },
  ]);
  const withTenant: NewEvent[] = [];
  recordingTx(manager, { actorId: null, tenantId: 'tenant', context }, withTenant).record('tenant.created', payload, { tenantId: null });
  expect(withTenant[0].tenantId).toBeNull();
});
