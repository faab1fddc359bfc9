/**
 * SQL for the deliveries still to run, now or after a retry's backoff: every unfinished one except
 * those scheduled for later and never tried yet (a listener with `delayMs`, such as the
 * verification reminder, due a day after its event). For "everything has been handled" checks.
 */
export const UNFINISHED = `(status IN ('pending', 'running') AND NOT (status = 'pending' AND attempts = 0 AND due_at > now()))`;

/** The same, for a query that names the deliveries table `d`. */
export const UNFINISHED_D = UNFINISHED.replace(/\b(status|attempts|due_at)\b/g, 'd.$1');

/** Not done: dead, or still to run (see UNFINISHED). */
export const NOT_DONE = `(status = 'dead' OR ${UNFINISHED})`;
export const NOT_DONE_D = NOT_DONE.replace(/\b(status|attempts|due_at)\b/g, 'd.$1');
