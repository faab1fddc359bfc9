import type { DataSource } from 'typeorm';
import { createListeners } from '../src/listeners';
import type { Mailer } from '../src/mail/mailer';

/** Each built-in listener's name and events. The listeners are built for their names only. */
export function listenerSummaries(): { name: string; on: readonly string[] }[] {
  return createListeners({ dataSource: null as unknown as DataSource, mailer: null as unknown as Mailer }).map((listener) => ({
    name: listener.name,
    on: listener.on,
  }));
}
