import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { Tenant, User } from '../entities';

/**
 * How one GraphQL operation reaches the database. Batching of the rows that nested fields point
 * to (`AuditEntry.actor`, `Invitation.invitedBy`, `Invitation.tenant`): a page of 200 entries costs
 * one query for their users instead of 200; one set per operation (its cache never outlives it, so
 * no stale rows). And `connections`: its share of the pool.
 */
export interface RequestLoaders {
  readonly user: DataLoader<string, User | null>;
  readonly tenant: DataLoader<string, Tenant | null>;
  readonly connections: ConnectionShare;
}

export function requestLoaders(dataSource: DataSource, connectionsPerRequest: number): RequestLoaders {
  return {
    user: new DataLoader((ids) => byIds(dataSource, User, ids)),
    tenant: new DataLoader((ids) => byIds(dataSource, Tenant, ids)),
    connections: new ConnectionShare(connectionsPerRequest),
  };
}

/**
 * At most `max` of one operation's database-bound resolvers run at once; the others wait their
 * turn, so sixteen aliased fields cannot hold sixteen pooled connections (DATABASE_CONNECTIONS_PER_REQUEST).
 */
export class ConnectionShare {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.max) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The turn passes straight to the next waiter, so `running` never drops below what runs.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

async function byIds<T extends { id: string }>(dataSource: DataSource, entity: new () => T, ids: readonly string[]): Promise<(T | null)[]> {
  const rows = await dataSource.getRepository(entity).findBy({ id: In([...ids]) } as never);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
}
