/**
 * `npm run docs:events`: writes docs/EVENTS.md from the event catalog's types. Run it after
 * changing src/events/catalog.ts, src/events/envelope.ts or a listener's `on` list, and commit
 * the result (test/events-doc.test.ts checks that it is current).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { EVENTS_DOC_PATH, renderEventsDoc } from './events-doc';
import { listenerSummaries } from './listener-summaries';

writeFileSync(EVENTS_DOC_PATH, renderEventsDoc(listenerSummaries()));
process.stdout.write(`wrote ${path.relative(process.cwd(), EVENTS_DOC_PATH)}\n`);
