import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../logger';
import { accountKey, chargeLimiter, createLimiter, type AuthRateLimitOptions } from './auth-rate-limits';

/** The emails a person can ask Herald to send to an address. */
export type EmailRequestKind = 'verify' | 'reset' | 'change-email';

/**
 * How many emails of each kind one address may be sent on request per hour
 * (EMAIL_REQUESTS_PER_ADDRESS_PER_HOUR): otherwise the buttons "send again" and "forgot password"
 * are a way to flood someone's mailbox. Counted per address whether or not an account has it, so the
 * limit tells nothing about accounts.
 */
export class EmailRequestLimits {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    options: Pick<AuthRateLimitOptions, 'redis' | 'prefix'> & { perAddressPerHour: number },
    private readonly logger: Logger,
  ) {
    this.limiter = createLimiter(options, 'email-requests', options.perAddressPerHour, 3600);
  }

  charge(kind: EmailRequestKind, address: string): Promise<void> {
    return chargeLimiter(this.limiter, accountKey(kind, address), this.logger, { operation: kind });
  }
}
