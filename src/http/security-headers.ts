import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * CSP of every response that is not an HTML page (JSON answers, health checks): it loads nothing,
 * runs nothing and may not be framed, so a response rendered by mistake can do no harm.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * CSP header of the HTML landing page (Apollo Sandbox, or a custom page). It restricts only what a
 * page's own `<meta>` policy cannot: framing, `<base>` and plugins. Scripts, styles and frames are
 * left to the page: Apollo's page carries a nonce-based policy in a `<meta>` tag that allows its
 * CDN script (embeddable-sandbox.cdn.apollographql.com) and the Sandbox iframe
 * (sandbox.embed.apollographql.com); a header policy is enforced together with it, so repeating
 * those sources here would only break the page the day Apollo changes them.
 */
export const PAGE_CSP = "frame-ancestors 'self'; base-uri 'self'; object-src 'none'";

/**
 * helmet's headers (nosniff, HSTS, frame options, referrer policy, cross-origin opener/resource
 * policies, ...) with Herald's CSP in place of helmet's, which would block the landing page.
 */
export function securityHeaders(): RequestHandler[] {
  return [
    helmet({ contentSecurityPolicy: false }),
    (req, res, next) => {
      res.setHeader('Content-Security-Policy', wantsPage(req) ? PAGE_CSP : API_CSP);
      next();
    },
  ];
}

/** A browser navigating to the endpoint: what Apollo answers with its landing page. */
function wantsPage(req: Request): boolean {
  return req.method === 'GET' && req.accepts(['application/json', 'text/html']) === 'text/html';
}
