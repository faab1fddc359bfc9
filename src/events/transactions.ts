import type { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { EventName, EventPayload } from './catalog';
import type { EventContext, EventEnvelope, NewEvent } from './envelope';
import type { EventStore } from './event-store';

/** Who and what a transaction's events are attributed to, unless `record` says otherwise. */
export interface EventOrigin {
  actorId: string | null;
  tenantId?: string | null;
  context: EventContext;
}

/** A unit of work: the transaction's EntityManager and the events it will commit with its rows. */
export interface Tx {
  readonly manager: EntityManager;
  /**
   * Records an event; it is appended to the store when the transaction commits, and only then.
   * Returns the id it will have (so a row written in the same transaction can name it).
   */
  record<N extends EventName>(
    name: N,
    payload: EventPayload<N>,
    overrides?: { tenantId?: string | null; actorId?: string | null },
  ): string;
}

/**
 * Runs units of work: one database transaction that holds the domain rows, their events and the
 * events' delivery rows. After the commit, `onCommit` hands the events to the publisher.
 */
export class Transactions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly onCommit: (events: EventEnvelope[]) => void,
  ) {}

  async run<T>(origin: EventOrigin, work: (tx: Tx) => Promise<T>): Promise<T> {
    let committed: EventEnvelope[] = [];
    const result = await this.dataSource.transaction(async (manager) => {
      const pending: NewEvent[] = [];
      const value = await work(recordingTx(manager, origin, pending));
      committed = await this.store.append(manager, pending);
      return value;
    });
    if (committed.length > 0) this.onCommit(committed);
    return result;
  }
}

/** A unit of work on `manager` whose recorded events, attributed to `origin` unless overridden, go to `pending`. */
export function recordingTx(manager: EntityManager, origin: EventOrigin, pending: NewEvent[]): Tx {
  return {
    manager,
    record: (name, payload, overrides) => {
      const id = uuidv7(); // time-sortable
      pending.push({
        id,
        name,
        payload,
        tenantId: overrides?.tenantId !== undefined ? overrides.tenantId : (origin.tenantId ?? null),
        actorId: overrides?.actorId !== undefined ? overrides.actorId : origin.actorId,
        context: origin.context,
      });
      return id;
    },
  };
}
