import type { AnyEventEnvelope } from '../events/envelope';
import type { EventBus } from '../events/pubsub';
import type { LiveEvents } from './live-events';

/**
 * Ends live access when it is revoked, on every instance: each instance hears every committed
 * event on the bus's `events` channel and acts on the ones that revoke something.
 */
export async function watchRevocations(options: {
  bus: EventBus;
  live: LiveEvents;
  closeSession: (sessionId: string, reason: string) => void;
}): Promise<() => void> {
  const { bus, live, closeSession } = options;
  const id = await bus.engine.subscribe(
    bus.channels.events,
    (event: AnyEventEnvelope) => {
      switch (event.name) {
        case 'auth.token.revoked':
          closeSession(event.payload.sessionId, `Session ended (${event.payload.reason}); sign in again`);
          break;
        case 'auth.session.revoked':
          closeSession(event.payload.sessionId, 'Session ended (revoked); sign in again');
          break;
        case 'tenant.member.removed':
        case 'tenant.member.left':
          live.revokeMembership(event.payload.tenantId, event.payload.userId);
          break;
        case 'tenant.member.role_changed':
          live.revokeRole(event.payload.tenantId, event.payload.userId, event.payload.to);
          break;
        case 'tenant.deleted':
          live.revokeTenant(event.payload.tenantId);
          break;
      }
    },
    {},
  );
  return () => bus.engine.unsubscribe(id);
}
