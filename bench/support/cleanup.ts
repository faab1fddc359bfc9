/**
 * What must not outlive the bench (databases, servers), undone on normal exit, on Ctrl-C and when
 * the time bound in bench/run.ts fires. Each step runs even if one before it throws.
 */
const steps: (() => Promise<void>)[] = [];

/** Registers `step`; the returned function runs it now (once) and unregisters it. */
export function onCleanup(step: () => Promise<void>): () => Promise<void> {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    steps.splice(steps.indexOf(once), 1);
    await step();
  };
  steps.push(once);
  return once;
}

/** Runs every registered step, last registered first. */
export async function cleanUpAll(): Promise<void> {
  for (const step of [...steps].reverse()) {
    try {
      await step();
    } catch (error) {
      process.stderr.write(`cleanup step failed: ${(error as Error).message}\n`);
    }
  }
}
