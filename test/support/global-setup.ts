import { buildConsoleIfStale } from './console-build';

/** Once before every Jest run: the browser tests need the console built from its current sources. */
export default function globalSetup(): void {
  buildConsoleIfStale();
}
