import { linkWithPlaceholder, type LinkPurpose } from '../auth/link-tokens';

/**
 * The links emails carry, on PUBLIC_URL (default `http://localhost:<port>` once the server
 * listens, hence a function). The token is a placeholder until the email is sent.
 */
export class EmailLinks {
  constructor(private readonly publicUrl: () => string) {}

  /** `<base>/console/…?token={{link-token}}` for a purpose. */
  link(purpose: LinkPurpose): string {
    return linkWithPlaceholder(this.publicUrl(), purpose);
  }

  /** The console's home, for notices without a token ("sign in to review your sessions"). */
  get console(): string {
    return `${this.publicUrl()}/console`;
  }
}
