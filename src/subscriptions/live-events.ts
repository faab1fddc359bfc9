import { BadUserInputError, ForbiddenError } from '../errors/domain-errors';
import type { EventEnvelope } from '../events/envelope';
import { isEventName, isSecurityEvent } from '../events/catalog';
import { signedIn } from '../services/access';
import type { TenantRoleOf } from '../services/event-service';
import { numericCursor } from '../services/pagination';
import type { RequestContext } from '../services/request-context';
import { FanOut } from './fan-out';
import { LiveSubscription, type FrameOutput, type LiveSubscriptionOptions } from './live-subscription';
import type { StreamHub } from './stream-hub';
import type { StreamKey } from './streams';

/** The WebSocket a subscription runs on: to end the connection, and to write the operation's frames. */
export interface LiveConnection {
  close(code: number, reason: string): void;
  /** The operation's `next` messages, written straight to the socket. */
  readonly output: FrameOutput;
}

/** Close code for a consumer that cannot keep up (graphql-ws leaves 4xxx for applications). */
export const SLOW_CONSUMER_CLOSE_CODE = 4429;

/**
 * A subscription LiveEvents tracks while it is live, to revoke it; it closes its connection when
 * its consumer is too slow. Overrides rather than callbacks: no closures per subscription.
 */
class OpenSubscription extends LiveSubscription {
  constructor(
    hub: StreamHub,
    options: LiveSubscriptionOptions,
    private readonly open: Set<OpenSubscription>,
    private readonly connection: LiveConnection,
    readonly userId: string,
    readonly tenantId: string | null,
  ) {
    super(hub, options);
  }

  protected override started(): void {
    this.open.add(this);
  }

  protected override ended(): void {
    this.open.delete(this);
  }

  protected override overflowed(queued: number): void {
    this.connection.close(
      SLOW_CONSUMER_CLOSE_CODE,
      `Too slow: ${queued} events waiting. Reconnect and resume with after = the last seq received.`,
    );
  }
}

/**
 * The live side of the event store: `tenantEvents` and `securityEvents`, authorised when they
 * start and ended when access is revoked. The resolvers return a subscription that is authorised
 * but not started; the GraphQL layer starts it with how to render its events (live-execution.ts).
 */
export class LiveEvents {
  private readonly open = new Set<OpenSubscription>();
  /** Subscribers grouped by what they see and how it is rendered. */
  readonly fanOut: FanOut;

  constructor(
    private readonly hub: StreamHub,
    private readonly tenantRoleOf: TenantRoleOf,
    private readonly limits: { queueLimit: number },
  ) {
    this.fanOut = new FanOut(hub);
  }

  /** A tenant's events for its members; security events only for OWNER and ADMIN. */
  async tenantEvents(
    ctx: RequestContext,
    args: { tenantId: string; names?: readonly string[] | null; after?: string | null },
    connection: LiveConnection,
  ): Promise<LiveSubscription> {
    const viewer = signedIn(ctx);
    const role = viewer.isPlatformAdmin ? 'OWNER' : await this.tenantRoleOf(ctx, args.tenantId);
    const names = checkedNames(args.names);
    const seesSecurity = role !== 'MEMBER';
    // The names come from the operation's arguments, which are in the group key already.
    const scope = `role:${seesSecurity ? 'sees-security' : 'member'}`;
    return this.start(ctx, `tenant:${args.tenantId}`, args.tenantId, args.after, connection, scope, (event) =>
      (names === null || names.has(event.name)) && (seesSecurity || !isSecurityEvent(event.name)),
    );
  }

  /**
   * Security events: of a tenant's members (OWNER/ADMIN), of everyone (platform admins, no
   * tenant), or of the viewer's own account (anyone else, no tenant).
   */
  async securityEvents(
    ctx: RequestContext,
    args: { tenantId?: string | null; after?: string | null },
    connection: LiveConnection,
  ): Promise<LiveSubscription> {
    const viewer = signedIn(ctx);
    if (args.tenantId) {
      if (!viewer.isPlatformAdmin && (await this.tenantRoleOf(ctx, args.tenantId)) === 'MEMBER') {
        throw new ForbiddenError("Only the tenant's owners and admins see its security events.");
      }
      const scope = 'security-events';
      return this.start(ctx, `tenant:${args.tenantId}`, args.tenantId, args.after, connection, scope, (e) => isSecurityEvent(e.name));
    }
    const stream: StreamKey = viewer.isPlatformAdmin ? 'security' : `user:${viewer.userId}`;
    return this.start(ctx, stream, null, args.after, connection, 'security-events', () => true);
  }

  /** Ends a user's subscriptions to a tenant (removed from it), on this instance. */
  revokeMembership(tenantId: string, userId: string): void {
    for (const open of this.open) {
      if (open.tenantId === tenantId && open.userId === userId) {
        open.revoke('Your access to this tenant was removed.');
      }
    }
  }

  /** Ends every subscription to a tenant (deleted), on this instance. */
  revokeTenant(tenantId: string): void {
    for (const open of this.open) {
      if (open.tenantId === tenantId) open.revoke('This tenant was deleted.');
    }
  }

  /** Subscriptions open on this instance. */
  get size(): number {
    return this.open.size;
  }

  private start(
    ctx: RequestContext,
    stream: StreamKey,
    tenantId: string | null,
    after: string | null | undefined,
    connection: LiveConnection,
    scope: string,
    accept: (event: EventEnvelope) => boolean,
  ): LiveSubscription {
    // The platform-admin flag is in the scope too: nothing rendered may differ by viewer kind.
    const viewerKind = ctx.viewer!.isPlatformAdmin ? 'platform-admin' : 'user';
    const options = { stream, after: numericCursor('after', after), accept, scope: `${scope};${viewerKind}`, queueLimit: this.limits.queueLimit };
    return new OpenSubscription(this.hub, options, this.open, connection, ctx.viewer!.userId, tenantId);
  }
}

function checkedNames(names: readonly string[] | null | undefined): Set<string> | null {
  if (!names) return null;
  for (const name of names) {
    if (!isEventName(name)) throw new BadUserInputError('names', `"${name.slice(0, 100)}" is not an event name.`);
  }
  return new Set(names);
}
