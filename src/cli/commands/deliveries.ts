import type { Config } from '../../config';
import type { DeliveryStatus } from '../../entities/delivery';
import { DomainError } from '../../errors/domain-errors';
import type { Logger } from '../../logger';
import { DeliveryService, type DeliveryView } from '../../services/delivery-service';
import { openDatabase, operatorContext } from '../cli-database';
import { CliError } from '../cli-error';

const STATUSES: DeliveryStatus[] = ['pending', 'running', 'done', 'dead'];

/** `herald deliveries list`: newest first, as a table or JSON lines. */
export async function listDeliveriesCommand(
  config: Config,
  logger: Logger,
  out: NodeJS.WritableStream,
  args: { status?: string; listener?: string; limit: number; json: boolean },
): Promise<void> {
  const status = args.status?.toLowerCase();
  if (status !== undefined && !STATUSES.includes(status as DeliveryStatus)) {
    throw new CliError(`--status must be one of ${STATUSES.join(', ')}; got "${args.status}"`, 2);
  }
  const db = await openDatabase(config, logger);
  try {
    const service = new DeliveryService(db.dataSource, () => undefined);
    const page = await service
      .list(operatorContext(), { status: (status as DeliveryStatus) ?? null, listener: args.listener ?? null, first: args.limit })
      .catch(asCliError);
    const rows = page.edges.map((edge) => edge.node);
    if (args.json) {
      for (const row of rows) out.write(`${JSON.stringify(row)}\n`);
      return;
    }
    if (rows.length === 0) {
      out.write(`no ${status ?? ''}${status ? ' ' : ''}deliveries\n`);
      return;
    }
    out.write(table(rows));
    if (page.pageInfo.hasNextPage) out.write(`(showing the newest ${rows.length}; raise --limit for more)\n`);
  } finally {
    await db.close();
  }
}

/** `herald deliveries retry <id>`: a dead or waiting delivery runs again with fresh attempts. */
export async function retryDeliveryCommand(config: Config, logger: Logger, out: NodeJS.WritableStream, id: string): Promise<void> {
  const db = await openDatabase(config, logger);
  try {
    const service = new DeliveryService(db.dataSource, () => undefined);
    const delivery = await service.retry(operatorContext(), id).catch(asCliError);
    // No wake-up reaches the server from here: its listeners' poll (LISTENER_POLL_MS) picks it up.
    out.write(`delivery ${delivery.id} (${delivery.listener}, ${delivery.event.name} #${delivery.event.seq}) is pending again\n`);
  } finally {
    await db.close();
  }
}

function table(rows: DeliveryView[]): string {
  const lines = [
    ['ID', 'STATUS', 'ATTEMPTS', 'LISTENER', 'EVENT', 'UPDATED', 'LAST ERROR'],
    ...rows.map((d) => [
      d.id,
      d.status,
      String(d.attempts),
      d.listener,
      `${d.event.name} #${d.event.seq}`,
      new Date(d.updatedAt).toISOString(),
      (d.lastError ?? '').replace(/\s+/g, ' ').slice(0, 80),
    ]),
  ];
  const widths = lines[0].map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  return lines.map((line) => line.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n') + '\n';
}

function asCliError(error: unknown): never {
  if (error instanceof DomainError) throw new CliError(error.message);
  throw error;
}
