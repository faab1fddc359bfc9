import express, { type Request, type Response } from 'express';
import { v7 as uuidv7 } from 'uuid';
import type { Config } from '../../config';
import { bearerToken } from '../../auth/access-tokens';
import { BadUserInputError, DomainError, UnauthenticatedError } from '../../errors/domain-errors';
import { unavailableOf } from '../../graphql/format-error';
import type { Logger } from '../../logger';
import type { Services } from '../../services';
import type { AuthResult } from '../../services/auth-service';
import type { RequestContext } from '../../services/request-context';

/**
 * The cookie that holds the console's refresh token. `__Host-` makes the browser insist on
 * Secure, Path=/ and no Domain, so no sibling host can set or read it; HttpOnly keeps it from
 * page scripts; SameSite=Strict keeps other sites' pages from sending it.
 */
export const REFRESH_COOKIE = '__Host-herald-refresh';

/** The console's device token (DESIGN.md §6b "Devices"), kept like the refresh token; it outlives sign-outs. */
export const DEVICE_COOKIE = '__Host-herald-device';
/** How long a browser keeps its device cookie: the device token's own lifetime. */
const DEVICE_COOKIE_SECONDS = 365 * 86400;

/**
 * The header every call to /console/auth must carry. A page of another origin cannot add a
 * custom header without a CORS preflight, which this endpoint never answers: that is the CSRF
 * defence, on top of SameSite=Strict.
 */
export const CONSOLE_HEADER = 'x-herald-console';

const STATUS_OF_CODE: Record<string, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * POST /console/auth/{register,login,refresh,logout,change-password}: the console's sign-in, with the refresh
 * token in an HttpOnly cookie instead of page memory (DESIGN.md §6b "Browsers"). Each answers like
 * GraphQL (`{ data }` or `{ errors: [{ message, extensions: { code } }] }`) and hands the page only
 * the short-lived access token. The bearer API is unchanged; this only keeps the long-lived token
 * out of reach of scripts.
 */
export function consoleAuth(options: { config: Config; services: Services; logger: Logger }): express.Router {
  const { config, services, logger } = options;
  const router = express.Router();
  router.use(express.json({ limit: '8kb' }));
  router.use((req, res, next) => {
    if (req.method !== 'POST') return fail(res, 405, 'BAD_REQUEST', 'Use POST.');
    if (req.get(CONSOLE_HEADER) !== '1') {
      return fail(res, 403, 'FORBIDDEN', `Send the header "${CONSOLE_HEADER}: 1" (the console does).`);
    }
    next();
  });

  const answer = (run: (ctx: RequestContext, req: Request) => Promise<AuthResult | null>) =>
    async (req: Request, res: Response) => {
      try {
        const result = await run(contextOf(req), req);
        if (!result) {
          res.setHeader('Set-Cookie', cookie('', 0));
          return void res.json({ data: null });
        }
        const cookies = [cookie(result.refreshToken, config.refreshTokenTtl)];
        if (result.deviceToken) cookies.push(cookie(result.deviceToken, DEVICE_COOKIE_SECONDS, DEVICE_COOKIE));
        res.setHeader('Set-Cookie', cookies);
        const { user } = result;
        res.json({
          data: {
            accessToken: result.accessToken,
            expiresIn: result.expiresIn,
            user: { id: user.id, email: user.email, name: user.name },
          },
        });
      } catch (error) {
        respondWithError(res, error, logger);
      }
    };

  router.post('/register', answer((ctx, req) =>
    services.auth.register(ctx, { email: text(req, 'email'), password: text(req, 'password'), name: text(req, 'name') })));
  router.post('/login', answer((ctx, req) =>
    services.auth.login(ctx, { email: text(req, 'email'), password: text(req, 'password'), deviceToken: cookieOf(req, DEVICE_COOKIE) })));
  // Without a live session to resume (no cookie, or one that no longer works): null and the cookie
  // cleared, not an error; the page shows sign-in.
  router.post('/refresh', answer(async (ctx, req) => {
    const token = refreshCookieOf(req);
    if (!token) return null;
    return services.auth.refresh(ctx, token).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') return null;
      throw error;
    });
  }));
  router.post('/logout', answer(async (ctx, req) => {
    const token = refreshCookieOf(req);
    if (token) await services.auth.logout(ctx, token);
    return null;
  }));
  // changePassword ends the other sessions and gives this one a new pair: its refresh token must
  // reach the cookie (the GraphQL mutation would hand it to the page, and leave the cookie's
  // token rotated away). The caller is the bearer of a live access token, as on /graphql.
  router.post('/change-password', answer(async (ctx, req) => {
    const token = bearerToken(req.get('authorization'));
    const viewer = token ? await services.auth.viewerFromAccessToken(token) : null;
    if (!viewer) throw new UnauthenticatedError('Your session has ended: sign in again.');
    return services.passwords.change(
      { ...ctx, viewer },
      { currentPassword: text(req, 'currentPassword'), newPassword: text(req, 'newPassword') },
    );
  }));
  return router;
}

function contextOf(req: Request): RequestContext {
  return { requestId: uuidv7(), ip: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 512) ?? null, viewer: null };
}

function text(req: Request, field: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  if (typeof value !== 'string') throw new BadUserInputError(field, `Give ${field} as a string.`);
  return value;
}

function cookie(value: string, maxAgeSeconds: number, name = REFRESH_COOKIE): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

/** The refresh token from the request's cookie, or null. */
export function refreshCookieOf(req: Request): string | null {
  return cookieOf(req, REFRESH_COOKIE);
}

function cookieOf(req: Request, wanted: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === wanted && value.length > 0) return value.join('=') || null;
  }
  return null;
}

function respondWithError(res: Response, error: unknown, logger: Logger): void {
  const known = error instanceof DomainError ? error : unavailableOf(error);
  if (known) {
    const retryAfter = known.extensions.retryAfter;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    return fail(res, STATUS_OF_CODE[known.code] ?? 400, known.code, known.message, known.extensions);
  }
  logger.error({ err: error }, 'unexpected error in /console/auth');
  fail(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
}

function fail(res: Response, status: number, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  res.status(status).json({ errors: [{ message, extensions: { ...extensions, code } }] });
}
