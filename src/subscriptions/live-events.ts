import { BadUserInputError, ForbiddenError } from '../errors/domain-errors';
import type { EventEnvelope } from '../events/envelope';
import { isEventName, isSecurityEvent, roleSeesSecurityEvents, type TenantRole } from '../events/catalog';
import { canonicalId } from '../db/uuid';
import { HeraldCloseCode } from '../live/close-codes';
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

/** Why an open subscription may be ended: whose it is, of which tenant, what it needed. */
interface Holder {
  readonly userId: string;
  readonly tenantId: string | null;
  /** It sees the tenant's security events through the viewer's role (not as a platform admin). */
  readonly needsSecurityRole: boolean;
}

/**
 * A subscription LiveEvents tracks from the moment it is authorised (before it starts, so a
 * revocation that arrives while it joins its group still ends it) until it ends; it closes its
 * connection when its consumer is too slow. Overrides rather than callbacks: no closures per
 * subscription.
 */
class OpenSubscription extends LiveSubscription implements Holder {
  constructor(
    hub: StreamHub,
    options: LiveSubscriptionOptions,
    private readonly open: Set<OpenSubscription>,
    private readonly connection: LiveConnection,
    readonly userId: string,
    readonly tenantId: string | null,
    readonly needsSecurityRole: boolean,
  ) {
    super(hub, options);
    open.add(this);
  }

  protected override ended(): void {
    this.open.delete(this);
  }

  protected override overflowed(queued: number): void {
    this.connection.close(
      HeraldCloseCode.SlowConsumer,
      `Too slow: ${queued} events waiting. Reconnect and resume with after = the last seq received.`,
    );
  }
}

/** A check of a viewer's role in a tenant under way: a revocation meanwhile makes it read again. */
interface Authorising {
  readonly userId: string;
  readonly tenantId: string;
  changed: boolean;
}

/**
 * The live side of the event store: `tenantEvents` and `securityEvents`, authorised when they
 * start and ended when access is revoked. The resolvers return a subscription that is authorised
 * but not started; the GraphQL layer starts it with how to render its events (live-execution.ts).
 */
export class LiveEvents {
  private readonly open = new Set<OpenSubscription>();
  private readonly authorising = new Set<Authorising>();
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
    const names = checkedNames(args.names);
    const tenantId = canonicalId(args.tenantId);
    const role = await this.roleOf(ctx, tenantId);
    const seesSecurity = roleSeesSecurityEvents(role);
    // The names come from the operation's arguments, which are in the group key already.
    const scope = `role:${seesSecurity ? 'sees-security' : 'member'}`;
    // It needs the role if it receives security events through it: a names filter may leave them out.
    const wantsSecurity = names === null || [...names].some(isSecurityEvent);
    const needsSecurityRole = seesSecurity && wantsSecurity && !viewer.isPlatformAdmin;
    return this.start(ctx, `tenant:${tenantId}`, tenantId, args.after, connection, scope, needsSecurityRole, (event) =>
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
      const tenantId = canonicalId(args.tenantId);
      if (!roleSeesSecurityEvents(await this.roleOf(ctx, tenantId))) {
        throw new ForbiddenError("Only the tenant's owners and admins see its security events.");
      }
      const scope = 'security-events';
      return this.start(ctx, `tenant:${tenantId}`, tenantId, args.after, connection, scope, !viewer.isPlatformAdmin, (e) =>
        isSecurityEvent(e.name),
      );
    }
    const stream: StreamKey = viewer.isPlatformAdmin ? 'security' : `user:${viewer.userId}`;
    return this.start(ctx, stream, null, args.after, connection, 'security-events', false, () => true);
  }

  /**
   * The viewer's role in the tenant, read so that no revocation is missed: the check is
   * registered before the read, and if the membership changes while it runs (the change's event
   * arrives, which is after its commit), it reads again. A read that saw the old role therefore
   * started before the change committed, so its event finds either this check or the subscription
   * (registered before this returns, in the same turn).
   */
  private async roleOf(ctx: RequestContext, tenantId: string): Promise<TenantRole> {
    for (let attempt = 0; ; attempt++) {
      const check: Authorising = { userId: ctx.viewer!.userId, tenantId, changed: false };
      this.authorising.add(check);
      try {
        const role = await this.tenantRoleOf(ctx, tenantId);
        if (!check.changed) return role;
      } finally {
        this.authorising.delete(check);
      }
      if (attempt === 2) throw new ForbiddenError('Your access to this tenant changed while subscribing; subscribe again.');
    }
  }

  /** Ends a user's subscriptions to a tenant (removed from it), on this instance. */
  revokeMembership(tenantId: string, userId: string): void {
    this.revoke(tenantId, userId, () => true, 'Your access to this tenant was removed.');
  }

  /**
   * A member's role changed: the subscriptions that needed a right the new role lacks end with
   * FORBIDDEN (demoted to MEMBER: `securityEvents(tenantId)`, and `tenantEvents` opened with the
   * security events in it). The client subscribes again and gets what the new role sees; ending
   * rather than narrowing in place keeps one rendering per group and says plainly what changed.
   */
  revokeRole(tenantId: string, userId: string, role: TenantRole): void {
    if (roleSeesSecurityEvents(role)) return; // no right that a live subscription uses was lost
    this.revoke(tenantId, userId, (open) => open.needsSecurityRole, `Your role in this tenant is now ${role}: subscribe again to continue with its rights.`);
  }

  /** Ends every subscription to a tenant (deleted), on this instance. */
  revokeTenant(tenantId: string): void {
    const id = canonicalId(tenantId);
    for (const open of this.open) {
      if (open.tenantId === id) open.revoke('This tenant was deleted.');
    }
  }

  private revoke(tenantId: string, userId: string, needed: (open: Holder) => boolean, reason: string): void {
    const tenant = canonicalId(tenantId);
    const user = canonicalId(userId);
    for (const check of this.authorising) {
      if (check.tenantId === tenant && check.userId === user) check.changed = true;
    }
    for (const open of this.open) {
      if (open.tenantId === tenant && open.userId === user && needed(open)) open.revoke(reason);
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
    needsSecurityRole: boolean,
    accept: (event: EventEnvelope) => boolean,
  ): LiveSubscription {
    // The platform-admin flag is in the scope too: nothing rendered may differ by viewer kind.
    const viewerKind = ctx.viewer!.isPlatformAdmin ? 'platform-admin' : 'user';
    const options = { stream, after: numericCursor('after', after), accept, scope: `${scope};${viewerKind}`, queueLimit: this.limits.queueLimit };
    return new OpenSubscription(this.hub, options, this.open, connection, canonicalId(ctx.viewer!.userId), tenantId, needsSecurityRole);
  }
}

function checkedNames(names: readonly string[] | null | undefined): Set<string> | null {
  if (!names) return null;
  for (const name of names) {
    if (!isEventName(name)) throw new BadUserInputError('names', `"${name.slice(0, 100)}" is not an event name.`);
  }
  return new Set(names);
}
