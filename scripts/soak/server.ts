/**
 * The server under soak: Herald from the environment, as `npm start` runs it, plus an IPC channel
 * through which scripts/soak.ts asks for its memory (after a full GC) and live figures.
 * Started by scripts/soak.ts with `--expose-gc`; not meant to be run by hand.
 */
import { loadConfig } from '../../src/config';
import { Herald } from '../../src/server';

const herald = new Herald(loadConfig());
const collect = (globalThis as { gc?: () => void }).gc;

process.on('message', (message: { type: string }) => {
  if (message.type === 'memory') {
    // Twice: the first pass can leave objects that only a second one frees (weak refs, finalizers).
    collect?.();
    collect?.();
    const { heapUsed, rss } = process.memoryUsage();
    process.send!({ type: 'memory', heapUsed, rss, gc: collect !== undefined, live: herald.liveStats() });
  }
  if (message.type === 'stop') void herald.stop('soak over').then(() => process.exit(0));
});

herald.start().then(
  () => process.send!({ type: 'ready', url: herald.url }),
  (error: unknown) => {
    process.stderr.write(`soak server could not start: ${String(error)}\n`);
    process.exit(1);
  },
);
