import { ForbiddenError } from '../errors/domain-errors';
import type { EventEnvelope } from '../events/envelope';
import { eventNamesArgument, isSecurityEvent, roleSeesSecurityEvents, type TenantRole } from '../events/catalog';
import { canonicalId } from '../db/uuid';
import { signedIn } from '../services/access';
import type { TenantRoleOf } from '../services/event-service';
import { numericCursor } from '../services/pagination';
import type { RequestContext } from '../services/request-context';
import type { StreamKey } from '../events/streams';
import type { Logger } from '../logger';
import { FanOut } from './fan-out';
import type { LiveSink } from './live-sink';
import { LiveSubscription, type LiveRendering, type LiveSpec, type LiveTracker } from './live-subscription';
import type { StreamHub } from './stream-hub';

/** A check of a viewer's role in a tenant under way: a revocation meanwhile makes it read again. */
interface Authorising {
  readonly userId: string;
  readonly tenantId: string;
  changed: boolean;
}

/**
 * The live side of the event store: `tenantEvents` and `securityEvents`, authorised when they
 * start and ended when access is revoked. The resolvers return a subscription that is authorised
 * but not started; a transport starts it with its rendering and a sink (live-operation.ts).
 */
export class LiveEvents implements LiveTracker {
  /** Subscriptions from their authorisation until they end: what revocations look through. */
  private readonly open = new Set<LiveSubscription>();
  private readonly authorising = new Set<Authorising>();
  /** Subscribers grouped by what they see and how it is rendered. */
  readonly fanOut: FanOut;

  constructor(
    private readonly hub: StreamHub,
    private readonly tenantRoleOf: TenantRoleOf,
    private readonly limits: { queueLimit: number },
    private readonly logger: Logger,
  ) {
    this.fanOut = new FanOut(hub);
  }

  /**
   * Starts an authorised subscription (a resolver's answer) with the operation's rendering and the
   * transport's sink. If it cannot start, it is forgotten and the error goes to the transport.
   */
  async start(subscription: LiveSubscription, rendering: LiveRendering, sink: LiveSink): Promise<void> {
    try {
      await subscription.start(this.fanOut, this.hub, rendering, sink);
    } catch (error) {
      subscription.stop();
      throw error;
    }
  }

  ended(subscription: LiveSubscription): void {
    this.open.delete(subscription);
  }

  replayFailed(subscription: LiveSubscription, error: unknown): void {
    this.logger.error({ err: error, stream: subscription.spec.stream }, 'replay failed; the subscription ends with an internal error');
  }

  /** A tenant's events for its members; security events only for OWNER and ADMIN. */
  async tenantEvents(
    ctx: RequestContext,
    args: { tenantId: string; names?: readonly string[] | null; after?: string | null },
  ): Promise<LiveSubscription> {
    const viewer = signedIn(ctx);
    const listed = eventNamesArgument(args.names);
    const names = listed && new Set<string>(listed);
    const tenantId = canonicalId(args.tenantId);
    const role = await this.roleOf(ctx, tenantId);
    const seesSecurity = roleSeesSecurityEvents(role);
    // The names come from the operation's arguments, which are in the group key already.
    const scope = `role:${seesSecurity ? 'sees-security' : 'member'}`;
    // It needs the role if it receives security events through it: a names filter may leave them out.
    const wantsSecurity = names === null || [...names].some(isSecurityEvent);
    const needsSecurityRole = seesSecurity && wantsSecurity && !viewer.isPlatformAdmin;
    return this.authorised(ctx, `tenant:${tenantId}`, tenantId, args.after, scope, needsSecurityRole, (event) =>
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
  ): Promise<LiveSubscription> {
    const viewer = signedIn(ctx);
    if (args.tenantId) {
      const tenantId = canonicalId(args.tenantId);
      if (!roleSeesSecurityEvents(await this.roleOf(ctx, tenantId))) {
        throw new ForbiddenError("Only the tenant's owners and admins see its security events.");
      }
      const scope = 'security-events';
      return this.authorised(ctx, `tenant:${tenantId}`, tenantId, args.after, scope, !viewer.isPlatformAdmin, (e) =>
        isSecurityEvent(e.name),
      );
    }
    const stream: StreamKey = viewer.isPlatformAdmin ? 'security' : `user:${viewer.userId}`;
    return this.authorised(ctx, stream, null, args.after, 'security-events', false, () => true);
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
    this.revoke(tenantId, userId, (spec) => spec.needsSecurityRole, `Your role in this tenant is now ${role}: subscribe again to continue with its rights.`);
  }

  /** Ends every subscription to a tenant (deleted), on this instance. */
  revokeTenant(tenantId: string): void {
    const id = canonicalId(tenantId);
    for (const open of this.open) {
      if (open.spec.tenantId === id) open.revoke('This tenant was deleted.');
    }
  }

  private revoke(tenantId: string, userId: string, needed: (spec: LiveSpec) => boolean, reason: string): void {
    const tenant = canonicalId(tenantId);
    const user = canonicalId(userId);
    for (const check of this.authorising) {
      if (check.tenantId === tenant && check.userId === user) check.changed = true;
    }
    for (const open of this.open) {
      if (open.spec.tenantId === tenant && open.spec.userId === user && needed(open.spec)) open.revoke(reason);
    }
  }

  /** Subscriptions open on this instance. */
  get size(): number {
    return this.open.size;
  }

  /** An authorised subscription, not started, tracked from now on (see `roleOf`). */
  private authorised(
    ctx: RequestContext,
    stream: StreamKey,
    tenantId: string | null,
    after: string | null | undefined,
    scope: string,
    needsSecurityRole: boolean,
    accept: (event: EventEnvelope) => boolean,
  ): LiveSubscription {
    const viewer = ctx.viewer!;
    // The platform-admin flag is in the scope too: nothing rendered may differ by viewer kind.
    const viewerKind = viewer.isPlatformAdmin ? 'platform-admin' : 'user';
    const spec: LiveSpec = {
      stream,
      after: numericCursor('after', after),
      accept,
      scope: `${scope};${viewerKind}`,
      queueLimit: this.limits.queueLimit,
      userId: canonicalId(viewer.userId),
      tenantId,
      needsSecurityRole,
    };
    const subscription = new LiveSubscription(spec, this);
    this.open.add(subscription);
    return subscription;
  }
}
