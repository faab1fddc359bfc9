import { AuditEntry } from './audit-entry';
import { DailyCounter } from './daily-counter';
import { Delivery } from './delivery';
import { EmailMessage } from './email-message';
import { EventRecord } from './event-record';
import { LoginFailureCounter } from './login-failure-counter';
import { RefreshToken } from './refresh-token';
import { Session } from './session';
import { User } from './user';

export { AuditEntry, DailyCounter, Delivery, EmailMessage, EventRecord, LoginFailureCounter, RefreshToken, Session, User };

/** Every landlord entity, for the DataSource. */
export const ENTITIES = [User, Session, RefreshToken, EventRecord, Delivery, EmailMessage, AuditEntry, DailyCounter, LoginFailureCounter];
