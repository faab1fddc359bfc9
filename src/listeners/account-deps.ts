import type { AccountsConfig } from '../config';
import type { EmailLinks } from '../mail/email-links';
import type { LinkTokenStore } from '../services/link-token-store';

/** What the listeners of trusted accounts need: lifetimes, where links point, and the link rows. */
export interface AccountListenerDeps {
  accounts: AccountsConfig;
  links: EmailLinks;
  linkTokens: LinkTokenStore;
}
