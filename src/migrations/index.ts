import { Identity1764230400000 } from './1764230400000-identity';
import { EventStore1764230400001 } from './1764230400001-event-store';
import { EventStreams1764230400002 } from './1764230400002-event-streams';
import { Tenants1764230400100 } from './1764230400100-tenants';
import { LoginFailureCounters1764316800000 } from './1764316800000-login-failure-counters';
import { TrustedAccounts1764400000000 } from './1764400000000-trusted-accounts';
import { DeliveryScheduling1764500000000 } from './1764500000000-delivery-scheduling';
import { EventActivity1764700000000 } from './1764700000000-event-activity';
import { DeviceLoginCounters1764800000000 } from './1764800000000-device-login-counters';
import { TenantQuotas1764800000001 } from './1764800000001-tenant-quotas';
import { Webhooks1764900000000 } from './1764900000000-webhooks';

/** Landlord migrations, in order. Listed explicitly so the build needs no glob. */
export const MIGRATIONS = [
  Identity1764230400000,
  EventStore1764230400001,
  EventStreams1764230400002,
  Tenants1764230400100,
  LoginFailureCounters1764316800000,
  TrustedAccounts1764400000000,
  DeliveryScheduling1764500000000,
  EventActivity1764700000000,
  DeviceLoginCounters1764800000000,
  TenantQuotas1764800000001,
  Webhooks1764900000000,
];
