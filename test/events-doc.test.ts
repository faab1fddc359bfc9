import { readFileSync } from 'node:fs';
import { EVENT_NAMES } from '../src/events/catalog';
import { EVENTS_DOC_PATH, renderEventsDoc } from '../scripts/events-doc';
import { listenerSummaries } from '../scripts/listener-summaries';

describe('docs/EVENTS.md', () => {
  const rendered = renderEventsDoc(listenerSummaries());

  it('is in step with the event catalog (run `npm run docs:events` and commit the result)', () => {
    expect(readFileSync(EVENTS_DOC_PATH, 'utf8')).toBe(rendered);
  });

  it('describes every event in the catalog with its payload fields', () => {
    for (const name of EVENT_NAMES) expect(rendered).toContain(`#### \`${name}\``);
    expect(rendered).toMatch(/#### `auth\.login\.failed`[\s\S]*?\| `reason` \| `"unknown_email" \\\| "wrong_password" \\\| "locked"` \|/);
    expect(rendered).toMatch(
      /#### `user\.registered`\n\nListeners: `send-welcome-email`, `send-verification-reminder` \(24 h later\), `record-audit-entry`, `count-daily-metrics`\./,
    );
  });
});
