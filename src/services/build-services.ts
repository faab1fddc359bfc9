import type { DataSource } from 'typeorm';
import { AccessTokens } from '../auth/access-tokens';
import { PasswordHasher, SCRYPT_PARAMS, SCRYPT_PARAMS_LOW } from '../auth/password-hasher';
import type { Config } from '../config';
import type { EventBus } from '../events/pubsub';
import type { Transactions } from '../events/transactions';
import type { Logger } from '../logger';
import type { LiveEvents } from '../live/live-events';
import type { SeqHorizon } from '../events/seq-horizon';
import type { Services } from '.';
import { AuthRateLimits } from './auth-rate-limits';
import { AuthService } from './auth-service';
import { DeliveryService } from './delivery-service';
import { EventService, type TenantRoleOf } from './event-service';
import { MembershipService } from './membership-service';
import { TenantAccess } from './tenant-access';
import type { TenantAuditLog } from './tenant-audit-log';
import { TenantService } from './tenant-service';

/** Builds the services resolvers call, from the parts src/server.ts has started. */
export function buildServices(parts: {
  config: Config;
  dataSource: DataSource;
  transactions: Transactions;
  bus: EventBus;
  /** The instance's safe horizon, shared with the live streams. */
  horizon: SeqHorizon;
  /** Live subscriptions (src/live), built beside the services: they use the tenant access rule. */
  live: (tenantRoleOf: TenantRoleOf) => LiveEvents;
  tenantAuditLog: TenantAuditLog;
  logger: Logger;
  /** Tells the listener runtime there is work now (a retried delivery). */
  wakeListeners: () => void;
}): Services {
  const { config, dataSource, transactions } = parts;
  const tenantAccess = new TenantAccess(dataSource);
  const tenantRoleOf: TenantRoleOf = (ctx, tenantId) => tenantAccess.memberRole(ctx, tenantId);
  const rateLimits = new AuthRateLimits({
    perIpPerMinute: config.rateLimitAuthPerMinute,
    perAccountPerMinute: config.rateLimitAuthPerAccountPerMinute,
    redis: parts.bus.redis,
    prefix: config.redisPrefix,
    logger: parts.logger,
  });
  return {
    auth: new AuthService(
      dataSource,
      transactions,
      new PasswordHasher(config.passwordHashCost === 'low' ? SCRYPT_PARAMS_LOW : SCRYPT_PARAMS),
      new AccessTokens(config.jwtSecret, config.accessTokenTtl),
      rateLimits,
      {
        refreshTokenTtl: config.refreshTokenTtl,
        platformAdminEmails: config.platformAdminEmails,
        loginThrottle: config.loginThrottle,
      },
    ),
    events: new EventService(dataSource, tenantRoleOf, parts.horizon),
    deliveries: new DeliveryService(dataSource, parts.wakeListeners),
    live: parts.live(tenantRoleOf),
    tenants: new TenantService(dataSource, transactions, tenantAccess, parts.tenantAuditLog),
    memberships: new MembershipService(dataSource, transactions, tenantAccess),
  };
}
