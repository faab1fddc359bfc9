import { gql, type GraphQLResponse } from './graphql-client';
import type { TestHerald } from './herald';

export const SESSIONS = `{ sessions { id current createdAt lastUsedAt ip userAgent } }`;
export const REQUEST_RESET = `mutation RequestReset($email: String!) { requestPasswordReset(email: $email) }`;
export const RESET_PASSWORD = `mutation Reset($token: String!, $newPassword: String!) { resetPassword(token: $token, newPassword: $newPassword) }`;
export const CHANGE_PASSWORD = `mutation Change($current: String!, $next: String!) {
  changePassword(currentPassword: $current, newPassword: $next) { accessToken refreshToken expiresIn user { id } }
}`;
export const CHANGE_EMAIL = `mutation ChangeEmail($newEmail: String!, $password: String!) { changeEmail(newEmail: $newEmail, currentPassword: $password) }`;
export const REVOKE_SESSION = `mutation RevokeSession($id: ID!) { revokeSession(id: $id) }`;
export const RESEND_VERIFICATION = `mutation { resendVerificationEmail }`;
export const DELETE_ACCOUNT = `mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }`;

/**
 * Makes the deliveries of `listener` that wait for a later time (a listener with `delayMs`) due now,
 * as if that time had come: the runtime's poll then runs them. Only rows of `eventIds`, if given.
 */
export async function makeDueNow(t: Pick<TestHerald, 'db'>, listener: string, eventIds?: string[]): Promise<number> {
  const rows = await t.db.query(
    `UPDATE deliveries SET due_at = now() WHERE listener = $1 AND status = 'pending' AND due_at > now()
       AND ($2::uuid[] IS NULL OR event_id = ANY($2)) RETURNING id`,
    [listener, eventIds ?? null],
  );
  return rows.length;
}

/** Sends one operation from a client address and user agent of the test's choosing (TRUST_PROXY). */
export function gqlFrom(
  t: Pick<TestHerald, 'url'>,
  client: { ip: string; userAgent?: string },
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse> {
  const headers: Record<string, string> = { 'x-forwarded-for': client.ip };
  if (client.userAgent) headers['user-agent'] = client.userAgent;
  return gql(t.url, query, variables, { token, headers });
}
