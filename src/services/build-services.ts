import type { DataSource } from 'typeorm';
import { AccessTokens } from '../auth/access-tokens';
import { PasswordHasher, SCRYPT_PARAMS, SCRYPT_PARAMS_LOW } from '../auth/password-hasher';
import type { Config } from '../config';
import type { EventBus } from '../events/pubsub';
import type { Transactions } from '../events/transactions';
import type { Logger } from '../logger';
import { LiveEvents } from '../subscriptions/live-events';
import type { StreamHub } from '../subscriptions/stream-hub';
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
  hub: StreamHub;
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
    events: new EventService(dataSource, tenantRoleOf, parts.hub.horizon),
    deliveries: new DeliveryService(dataSource, parts.wakeListeners),
    live: new LiveEvents(parts.hub, tenantRoleOf, { queueLimit: config.ws.subscriberQueueLimit }),
    tenants: new TenantService(dataSource, transactions, tenantAccess, parts.tenantAuditLog),
    memberships: new MembershipService(dataSource, transactions, tenantAccess),
  };
}
