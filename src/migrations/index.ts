import { Identity1764230400000 } from './1764230400000-identity';
import { EventStore1764230400001 } from './1764230400001-event-store';
import { LoginFailureCounters1764316800000 } from './1764316800000-login-failure-counters';

/** Landlord migrations, in order. Listed explicitly so the build needs no glob. */
export const MIGRATIONS = [Identity1764230400000, EventStore1764230400001, LoginFailureCounters1764316800000];
