import { loadConfig } from '../src/config';
import { listenerRoutes } from '../src/listeners';

/** Each built-in listener's name and events. */
export function listenerSummaries(): { name: string; on: readonly string[]; delayMs?: number }[] {
  return listenerRoutes(loadConfig({}).accounts);
}
