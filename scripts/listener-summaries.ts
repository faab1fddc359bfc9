import { listenerRoutes } from '../src/listeners';

/** Each built-in listener's name and events. */
export function listenerSummaries(): { name: string; on: readonly string[] }[] {
  return listenerRoutes();
}
