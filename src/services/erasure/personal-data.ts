import type { EntityManager } from 'typeorm';
import type { User } from '../../entities';

/** What identifies a person in the database: every address, name, client address and agent they used. */
export interface PersonalData {
  userId: string;
  emails: string[];
  names: string[];
  ips: string[];
  userAgents: string[];
  /** The requests the person made: events of other actors carry their context too (listeners' events). */
  requestIds: string[];
}

/**
 * Gathers a user's personal data from everywhere it was written: the account, its sessions, the
 * addresses and names its events carried (earlier emails, links sent to a new address), and the
 * client addresses and agents of its requests.
 */
export async function gatherPersonalData(manager: EntityManager, user: User): Promise<PersonalData> {
  const [row]: { emails: string[] | null; names: string[] | null; ips: string[] | null; agents: string[] | null; requests: string[] | null }[] =
    await manager.query(
      `WITH mine AS (
         SELECT payload, context FROM events
         WHERE actor_id = $1 OR subject_user_id = $1 OR payload->>'userId' = $1::text
       )
       SELECT
         (SELECT array_agg(DISTINCT v) FROM (
            SELECT payload->>'email' AS v FROM mine
            UNION SELECT payload->>'from' FROM mine UNION SELECT payload->>'to' FROM mine
            UNION SELECT email FROM link_tokens WHERE subject_id = $1) x WHERE v IS NOT NULL AND v LIKE '%@%') AS emails,
         (SELECT array_agg(DISTINCT payload->>'name') FROM events
            WHERE name = 'user.registered' AND payload->>'userId' = $1::text) AS names,
         (SELECT array_agg(DISTINCT v) FROM (
            SELECT ip AS v FROM sessions WHERE user_id = $1 UNION SELECT context->>'ip' FROM mine) x WHERE v IS NOT NULL) AS ips,
         (SELECT array_agg(DISTINCT v) FROM (
            SELECT user_agent AS v FROM sessions WHERE user_id = $1 UNION SELECT context->>'userAgent' FROM mine) x WHERE v IS NOT NULL) AS agents,
         (SELECT array_agg(DISTINCT context->>'requestId') FROM mine WHERE context->>'requestId' IS NOT NULL) AS requests`,
      [user.id],
    );
  const unique = (values: (string | null | undefined)[]) => [...new Set(values.filter((v): v is string => !!v))];
  return {
    userId: user.id,
    emails: unique([user.email, ...(row.emails ?? [])]),
    names: unique([user.name, ...(row.names ?? [])]),
    ips: unique(row.ips ?? []),
    userAgents: unique(row.agents ?? []),
    requestIds: unique(row.requests ?? []),
  };
}

/** Every string to scrub out of free text and JSON: addresses, names, client addresses, agents. */
export function needlesOf(data: PersonalData): string[] {
  // Longest first, so "ada@example.com" goes whole before a name inside it would.
  return [...data.emails, ...data.names, ...data.ips, ...data.userAgents].sort((a, b) => b.length - a.length);
}
