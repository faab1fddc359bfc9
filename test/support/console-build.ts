// The same staleness rule as `npm start` (scripts/build-console.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { consoleIsStale, buildConsole } = require('../../scripts/build-console.js') as { consoleIsStale: () => boolean; buildConsole: () => void };

/** Builds the console with Vite when it is stale (the browser tests serve dist/console). */
export function buildConsoleIfStale(): void {
  if (consoleIsStale()) buildConsole();
}
