import type { TypedDocumentString } from '../generated/graphql';
import { ApiError, apiErrorOf, networkError } from './errors';

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
}

interface TokenAnswer {
  accessToken: string;
  expiresIn: number;
  user: SignedInUser;
}

/** Refresh when this share of the access token's life has passed. */
const REFRESH_AT = 0.8;

/**
 * The signed-in session of this tab. The access token lives only here, in memory; the refresh
 * token is an HttpOnly cookie that /console/auth sets and reads (docs/CONSOLE.md), so no script
 * can read it and nothing is kept in localStorage. Every GraphQL call goes through `request`,
 * which adds the bearer token and, when the API says the token is no longer valid, refreshes once
 * and tries again.
 */
export class Session {
  user: SignedInUser | null = null;
  private accessToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();

  /** Calls `listener` whenever the user signs in or out; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resumes the session of the cookie, if any: true when signed in. */
  restore(): Promise<boolean> {
    return this.refresh();
  }

  async signIn(email: string, password: string): Promise<void> {
    this.adopt(await authCall<TokenAnswer>('login', { email, password }));
  }

  async signUp(name: string, email: string, password: string): Promise<void> {
    this.adopt(await authCall<TokenAnswer>('register', { name, email, password }));
  }

  /**
   * Changes the password (the current one confirms it). The server ends the other sessions and
   * gives this one a new pair, whose refresh token it puts in the cookie.
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    this.adopt(await authCall<TokenAnswer>('change-password', { currentPassword, newPassword }, this.accessToken));
  }

  /** Ends the session on the server (the cookie's refresh token), then forgets it here. */
  async signOut(): Promise<void> {
    try {
      await authCall('logout', {});
    } finally {
      this.forget();
    }
  }

  /** Forgets the session in this tab (the server ended it: password reset, account deleted). */
  forget(): void {
    clearTimeout(this.timer);
    this.accessToken = null;
    this.user = null;
    this.emit();
  }

  /** A valid access token (refreshed if needed), or null when signed out: for WebSocket connections. */
  async token(): Promise<string | null> {
    if (!this.accessToken) await this.refresh();
    return this.accessToken;
  }

  /** Runs one GraphQL operation as the signed-in user (or anonymously). */
  async request<R, V>(document: TypedDocumentString<R, V>, variables?: V): Promise<R> {
    try {
      return await post<R>(document.toString(), variables, this.accessToken);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'UNAUTHENTICATED' || !this.accessToken) throw error;
      if (!(await this.refresh())) throw error;
      return post<R>(document.toString(), variables, this.accessToken);
    }
  }

  /** Exchanges the cookie for a new access token; one exchange at a time. */
  refresh(): Promise<boolean> {
    this.refreshing ??= authCall<TokenAnswer | null>('refresh', {})
      .then((answer) => {
        if (answer) this.adopt(answer);
        else this.forget();
        return answer !== null;
      })
      .catch((error: unknown) => {
        // A network failure keeps the session (the next call retries); a refused cookie ends it.
        if (error instanceof ApiError && error.code === 'NETWORK') throw error;
        this.forget();
        return false;
      })
      .finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private adopt(answer: TokenAnswer): void {
    this.accessToken = answer.accessToken;
    this.user = answer.user;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), answer.expiresIn * 1000 * REFRESH_AT);
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

async function post<R>(query: string, variables: unknown, token: string | null): Promise<R> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw networkError();
  }
  const body = (await response.json().catch(() => ({}))) as { data?: R; errors?: [] };
  if (body.errors?.length || !body.data) throw apiErrorOf(body.errors, response.status);
  return body.data;
}

/**
 * POST /console/auth/<action> with the custom header that endpoint requires (its CSRF check), and
 * the access token for an action of the signed-in user.
 */
async function authCall<R>(action: string, body: Record<string, string>, accessToken: string | null = null): Promise<R> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-herald-console': '1' };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  let response: Response;
  try {
    response = await fetch(`/console/auth/${action}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw networkError();
  }
  const answer = (await response.json().catch(() => ({}))) as { data?: R; errors?: [] };
  if (answer.errors?.length || !('data' in answer)) throw apiErrorOf(answer.errors, response.status);
  return answer.data as R;
}
