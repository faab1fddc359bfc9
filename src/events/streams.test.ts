import type { EventEnvelope } from './envelope';
import { streamCondition, streamsOf } from './streams';

/** Which live streams an event is on, and the SQL that reads each stream back. */
const T1 = '00000000-0000-0000-0000-0000000000a1';
const T2 = '00000000-0000-0000-0000-0000000000a2';
const U = '00000000-0000-0000-0000-0000000000b1';

const event = (fields: Partial<EventEnvelope>): EventEnvelope =>
  ({ id: 'e', seq: '1', name: 'tenant.updated', tenantId: null, actorId: null, payload: {}, occurredAt: '', subjectUserId: null, audienceTenantIds: [], ...fields }) as never;

describe('streamsOf', () => {
  it("puts a tenant's event on its tenant's stream only", () => {
    expect(streamsOf(event({ tenantId: T1, subjectUserId: U }))).toEqual([`tenant:${T1}`]);
  });

  it('puts a platform event that is not a security event on no stream', () => {
    expect(streamsOf(event({ name: 'user.registered' as never, subjectUserId: U }))).toEqual([]);
  });

  it("puts a security event on the security stream, its subject's, and each audience tenant's, once each", () => {
    const streams = streamsOf(
      event({ name: 'auth.login.failed' as never, tenantId: T1, subjectUserId: U, audienceTenantIds: [T1, T2] }),
    );
    expect(streams).toEqual([`tenant:${T1}`, 'security', `user:${U}`, `tenant:${T2}`]);
  });

  it('puts a security event without a subject on the security stream alone', () => {
    expect(streamsOf(event({ name: 'auth.login.failed' as never }))).toEqual(['security']);
  });
});

describe('streamCondition', () => {
  it("reads a tenant's stream by tenant or audience", () => {
    expect(streamCondition(`tenant:${T1}`, 2)).toEqual({
      sql: '(e.tenant_id = $2::uuid OR $2::uuid = ANY(e.audience_tenant_ids))',
      value: T1,
    });
  });

  it("reads a user's stream by subject", () => {
    expect(streamCondition(`user:${U}`, 3)).toEqual({ sql: 'e.subject_user_id = $3::uuid', value: U });
  });

  it('reads the security stream by name, with a null parameter', () => {
    expect(streamCondition('security', 2)).toEqual({ sql: "(e.name LIKE 'auth.%' AND $2::text IS NULL)", value: null });
  });
});
