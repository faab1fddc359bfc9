import type { DataSource } from 'typeorm';
import { AccessTokens } from '../auth/access-tokens';
import { DeviceTokens } from '../auth/device-tokens';
import type { LinkTokens } from '../auth/link-tokens';
import { PasswordHasher, SCRYPT_PARAMS, SCRYPT_PARAMS_LOW } from '../auth/password-hasher';
import type { ServerKeys } from '../auth/secret-key';
import type { Config } from '../config';
import type { TenantDatabase } from '../db/tenant-database';
import type { EventBus } from '../events/pubsub';
import type { Transactions } from '../events/transactions';
import type { Logger } from '../logger';
import type { EmailLinks } from '../mail/email-links';
import type { LiveEvents } from '../live/live-events';
import type { SeqHorizon } from '../events/seq-horizon';
import type { Services } from '.';
import { AuthRateLimits, chargeLimiter, createLimiter } from './auth-rate-limits';
import { AuthService } from './auth-service';
import { DeliveryService } from './delivery-service';
import { EmailRequestLimits } from './email-request-limits';
import { EmailVerificationService } from './email-verification-service';
import { AccountErasure } from './erasure/account-erasure';
import { EventService, type TenantRoleOf } from './event-service';
import { InvitationService } from './invitation-service';
import { LinkTokenStore } from './link-token-store';
import { MembershipService } from './membership-service';
import { PasswordCheck } from './password-check';
import { PasswordService } from './password-service';
import { PlatformAdmins } from './platform-admins';
import { requestLoaders } from './request-loaders';
import { SessionService } from './session-service';
import { SupportService } from './support-service';
import { TenantAccess } from './tenant-access';
import type { TenantAuditLog } from './tenant-audit-log';
import { TenantService } from './tenant-service';
import { TokenIssuer } from './token-issuer';
import { WebhookService } from './webhook-service';
import type { WebhookSecrets } from '../webhooks/webhook-secrets';

/** What the services are built from: the parts src/server.ts has started. */
export interface ServiceParts {
  config: Config;
  dataSource: DataSource;
  transactions: Transactions;
  bus: EventBus;
  /** The instance's safe horizon, shared with the live streams. */
  horizon: SeqHorizon;
  /** Live subscriptions (src/live), built beside the services: they use the tenant access rule. */
  live: (tenantRoleOf: TenantRoleOf) => LiveEvents;
  tenantDatabase: TenantDatabase;
  tenantAuditLog: TenantAuditLog;
  logger: Logger;
  keys: ServerKeys;
  linkTokens: LinkTokens;
  links: EmailLinks;
  /** Tells the listener runtime there is work now (a retried delivery). */
  wakeListeners: () => void;
  /** Encrypts webhook endpoints' secrets at rest. */
  webhookSecrets: WebhookSecrets;
}

/** Builds the services resolvers call. */
export function buildServices(parts: ServiceParts): Services {
  const { config, dataSource, transactions, logger } = parts;
  const tenantAccess = new TenantAccess(dataSource);
  const tenantRoleOf: TenantRoleOf = (ctx, tenantId) => tenantAccess.memberRole(ctx, tenantId);
  const limiterStore = { redis: parts.bus.redis, prefix: config.redisPrefix };
  const rateLimits = new AuthRateLimits({
    ...limiterStore,
    perIpPerMinute: config.rateLimitAuthPerMinute,
    perAccountPerMinute: config.rateLimitAuthPerAccountPerMinute,
    registerConflictsPerHour: config.registerConflictsPerHour,
    logger,
  });
  const tenantCreations = createLimiter(limiterStore, 'tenant-creations', config.tenantQuotas.creationsPerHour, 3600);
  const emailLimits = new EmailRequestLimits({ ...limiterStore, perAddressPerHour: config.accounts.emailRequestsPerAddressPerHour }, logger);
  const hasher = new PasswordHasher(config.passwordHashCost === 'low' ? SCRYPT_PARAMS_LOW : SCRYPT_PARAMS);
  const passwordCheck = new PasswordCheck(dataSource, transactions, hasher, config.loginThrottle);
  const accessTokens = new AccessTokens(config.jwtSecret, config.accessTokenTtl);
  const issuer = new TokenIssuer(accessTokens, {
    refreshTokenTtl: config.refreshTokenTtl,
    successorKey: parts.keys.key('refresh-successors'),
  });
  const platformAdmins = new PlatformAdmins(config.platformAdminEmails);
  const linkTokenStore = new LinkTokenStore(parts.linkTokens);
  const verification = new EmailVerificationService(
    dataSource,
    transactions,
    linkTokenStore,
    passwordCheck,
    emailLimits,
    parts.links,
    config.accounts,
  );
  return {
    auth: new AuthService(dataSource, transactions, passwordCheck, accessTokens, issuer, rateLimits, platformAdmins, logger, new DeviceTokens(config.jwtSecret)),
    passwords: new PasswordService(dataSource, transactions, hasher, passwordCheck, linkTokenStore, issuer, rateLimits, emailLimits),
    verification,
    sessions: new SessionService(dataSource, transactions),
    support: new SupportService(dataSource, transactions, verification),
    erasure: new AccountErasure(dataSource, transactions, passwordCheck, parts.tenantDatabase),
    platformAdmins,
    events: new EventService(dataSource, tenantRoleOf, parts.horizon),
    deliveries: new DeliveryService(dataSource, parts.wakeListeners),
    live: parts.live(tenantRoleOf),
    loaders: () => requestLoaders(dataSource, config.databaseConnectionsPerRequest),
    tenants: new TenantService(dataSource, transactions, tenantAccess, parts.tenantAuditLog, {
      ...config.tenantQuotas,
      chargeCreation: (userId) => chargeLimiter(tenantCreations, userId, logger, { operation: 'createTenant' }),
    }),
    memberships: new MembershipService(dataSource, transactions, tenantAccess),
    invitations: new InvitationService(dataSource, transactions, tenantAccess, linkTokenStore, parts.links, config.accounts),
    webhooks: new WebhookService(dataSource, transactions, tenantAccess, parts.webhookSecrets, config.webhooks, parts.wakeListeners),
  };
}
