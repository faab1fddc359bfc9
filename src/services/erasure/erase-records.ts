import type { EntityManager } from 'typeorm';
import type { TenantDatabase } from '../../db/tenant-database';
import { TenantSchemaMissingError } from '../../db/tenant-database';
import { needlesOf, type PersonalData } from './personal-data';
import { ERASED, scrubContext, scrubJson, scrubText } from './scrub';

/**
 * The statements of erasure, each over one kind of record, all inside the erasing transaction.
 * Rows keep their ids (history still adds up); what identified the person becomes the marker or null.
 */

/**
 * Events by or about the person, or caused by their requests: payload strings that name them and
 * their request's context rewritten in place. An event of someone else's request that only names
 * them (an invitation to their address) keeps its own context.
 */
export async function eraseFromEvents(manager: EntityManager, data: PersonalData): Promise<number> {
  const needles = needlesOf(data);
  const rows: { id: string; payload: unknown; context: Record<string, unknown>; theirs: boolean }[] = await manager.query(
    `SELECT id, payload, context,
            (actor_id = $1 OR subject_user_id = $1 OR context->>'requestId' = ANY($2)) AS theirs
     FROM events
     WHERE actor_id = $1 OR subject_user_id = $1 OR payload->>'userId' = $1::text
        OR context->>'requestId' = ANY($2) OR payload::text ILIKE ANY($3)
     FOR UPDATE`,
    [data.userId, data.requestIds, data.emails.map((email) => `%${likeEscape(email)}%`)],
  );
  for (const row of rows) {
    const payload = scrubJson(row.payload, needles);
    const context = row.theirs ? scrubContext(row.context) : row.context;
    await manager.query(`UPDATE events SET payload = $2, context = $3 WHERE id = $1`, [row.id, JSON.stringify(payload.value), JSON.stringify(context)]);
  }
  return rows.length;
}

/** The email log: messages to the person cancelled if unsent and addressed to the marker; their text scrubbed wherever it names them. */
export async function eraseFromEmailLog(manager: EntityManager, data: PersonalData): Promise<void> {
  const needles = needlesOf(data);
  const rows: { id: string; recipient: string; subject: string; text_body: string; html_body: string; last_error: string | null; status: string }[] =
    await manager.query(
      `SELECT id, recipient, subject, text_body, html_body, last_error, status FROM email_messages
       WHERE recipient = ANY($1)
          OR source_event_id IN (SELECT id FROM events WHERE actor_id = $2 OR payload->>'userId' = $2::text)
          OR text_body ILIKE ANY($3) OR subject ILIKE ANY($3) OR last_error ILIKE ANY($3)
       FOR UPDATE`,
      [data.emails, data.userId, data.emails.map((email) => `%${likeEscape(email)}%`)],
    );
  for (const row of rows) {
    const toThem = data.emails.includes(row.recipient);
    await manager.query(
      `UPDATE email_messages SET recipient = $2, subject = $3, text_body = $4, html_body = $5, last_error = $6, status = $7 WHERE id = $1`,
      [
        row.id,
        toThem ? `erased:${row.id}` : row.recipient,
        scrubText(row.subject, needles),
        scrubText(row.text_body, needles),
        scrubHtml(row.html_body, needles),
        row.last_error && scrubText(row.last_error, needles),
        toThem && (row.status === 'pending' || row.status === 'failed') ? 'cancelled' : row.status,
      ],
    );
  }
}

/**
 * Audit entries, the platform's and every tenant's: the client address and agent of the person's
 * entries (as actor or subject, or of their requests) go. Other people's entries from the same
 * address stay as they are: an address shared behind one NAT is theirs too.
 */
export async function eraseFromAuditLogs(manager: EntityManager, tenantDatabase: TenantDatabase, data: PersonalData): Promise<void> {
  const erase = (db: EntityManager, table: string) =>
    db.query(
      `UPDATE ${table} SET ip = NULL, user_agent = NULL
       WHERE (ip IS NOT NULL OR user_agent IS NOT NULL)
         AND (actor_id = $1 OR subject_id = $1 OR request_id = ANY($2))`,
      [data.userId, data.requestIds],
    );
  await erase(manager, 'audit_entries');
  const tenants: { id: string }[] = await manager.query(`SELECT id FROM tenants WHERE status <> 'DELETED'`);
  for (const { id } of tenants) {
    try {
      await tenantDatabase.within(manager, id, (db) => erase(db, 'audit_log'));
    } catch (error) {
      if (!(error instanceof TenantSchemaMissingError)) throw error;
    }
  }
}

/** Sessions, links, failed-login counters, invitations to the person's addresses, errors that quote them. */
export async function eraseAccountRecords(manager: EntityManager, data: PersonalData): Promise<void> {
  // Refresh tokens go with their sessions (ON DELETE CASCADE).
  await manager.query(`DELETE FROM sessions WHERE user_id = $1`, [data.userId]);
  await manager.query(`DELETE FROM link_tokens WHERE subject_id = $1 OR email = ANY($2)`, [data.userId, data.emails]);
  await manager.query(
    `DELETE FROM login_failure_counters
     WHERE key = ANY($1) OR key = ANY($2)
        OR (scope = 'pair' AND (split_part(key, '|', 1) = ANY($1) OR split_part(key, '|', 2) = ANY($2)))`,
    [data.emails, data.ips],
  );
  await manager.query(
    `UPDATE invitations SET email = 'erased:' || id::text,
            status = CASE WHEN status = 'PENDING' THEN 'DECLINED' ELSE status END,
            responded_at = coalesce(responded_at, now()), updated_at = now()
     WHERE email = ANY($1)`,
    [data.emails],
  );
  const needles = needlesOf(data);
  const failed: { id: string; last_error: string }[] = await manager.query(
    `SELECT id, last_error FROM deliveries WHERE last_error ILIKE ANY($1)`,
    [data.emails.map((email) => `%${likeEscape(email)}%`)],
  );
  for (const row of failed) {
    await manager.query(`UPDATE deliveries SET last_error = $2 WHERE id = $1`, [row.id, scrubText(row.last_error, needles)]);
  }
}

/** The account row itself: no address, name or password; its id stays and says it was erased. */
export async function eraseUserRow(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(
    `UPDATE users SET email = 'erased:' || id::text, name = $2, password_hash = '!', email_verified_at = NULL,
            is_platform_admin = false, deleted_at = now(), updated_at = now()
     WHERE id = $1`,
    [userId, ERASED],
  );
}

/** HTML bodies carry escaped text: scrub both the plain and the escaped form of each needle. */
function scrubHtml(html: string, needles: string[]): string {
  const escaped = needles.map((n) => n.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`));
  return scrubText(html, [...needles, ...escaped]);
}

/** A value for ILIKE, its wildcards taken literally. */
function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
