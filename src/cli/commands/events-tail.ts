import type { Config } from '../../config';
import { isEventName } from '../../events/catalog';
import type { EventEnvelope } from '../../events/envelope';
import { ENVELOPE_COLUMNS, envelopeOf, type EventRow } from '../../events/event-store';
import { SeqHorizon } from '../../events/seq-horizon';
import type { Logger } from '../../logger';
import { openDatabase } from '../cli-database';
import { CliError } from '../cli-error';

const BATCH = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TailArgs {
  tenant?: string;
  names?: string;
  /** Resume after this seq; without it, the tail starts at the newest event. */
  after?: string;
  json: boolean;
  pollMs: number;
}

/**
 * `herald events tail`: prints events as they are committed, read from the event store itself.
 * Each poll reads up to the safe horizon (src/events/seq-horizon.ts: nothing commits later at or
 * below it), so polling `seq > cursor` misses nothing and repeats nothing, and `--after <seq>`
 * resumes exactly where an earlier tail stopped.
 * Runs until `signal` aborts (Ctrl-C), then says how to resume.
 */
export async function tailEventsCommand(
  config: Config,
  logger: Logger,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  args: TailArgs,
  signal: AbortSignal,
): Promise<void> {
  const names = args.names?.split(',').map((name) => name.trim()).filter(Boolean) ?? null;
  for (const name of names ?? []) {
    if (!isEventName(name)) throw new CliError(`--names: "${name}" is not an event name (see docs/EVENTS.md)`, 2);
  }
  if (args.tenant !== undefined && !UUID.test(args.tenant)) throw new CliError(`--tenant: expected a tenant id (a UUID); got "${args.tenant}"`, 2);
  if (args.after !== undefined && !/^\d{1,19}$/.test(args.after)) throw new CliError(`--after: expected an event seq (a number); got "${args.after}"`, 2);

  const db = await openDatabase(config, logger);
  try {
    const horizon = new SeqHorizon(db.dataSource);
    let cursor = args.after ?? (await horizon.next());
    err.write(`tailing events after seq ${cursor} in ${db.where} (Ctrl-C to stop)\n`);
    while (!signal.aborted) {
      // Everything up to the horizon has committed or rolled back, so reading up to it and then
      // moving the cursor there skips nothing, even events the filter leaves out.
      const newest = await horizon.next();
      const rows: EventRow[] = await db.dataSource.query(
        `SELECT ${ENVELOPE_COLUMNS} FROM events e
         WHERE e.seq > $1 AND e.seq <= $2
           AND ($3::uuid IS NULL OR e.tenant_id = $3 OR $3 = ANY(e.audience_tenant_ids))
           AND ($4::varchar[] IS NULL OR e.name = ANY($4))
         ORDER BY e.seq LIMIT $5`,
        [cursor, newest, args.tenant ?? null, names, BATCH],
      );
      for (const row of rows) out.write(format(envelopeOf(row), args.json));
      const full = rows.length === BATCH;
      const next = full ? rows[rows.length - 1].seq : newest;
      if (BigInt(next) > BigInt(cursor)) cursor = next;
      if (!full) await sleep(args.pollMs, signal);
    }
    err.write(`stopped; resume with --after ${cursor}\n`);
  } finally {
    await db.close();
  }
}

function format(event: EventEnvelope, json: boolean): string {
  if (json) return `${JSON.stringify(event)}\n`;
  const who = [event.tenantId ? `tenant=${event.tenantId}` : null, event.actorId ? `actor=${event.actorId}` : null].filter(Boolean).join(' ');
  return `#${event.seq}  ${event.occurredAt}  ${event.name}${who ? `  ${who}` : ''}  ${JSON.stringify(event.payload)}\n`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
