import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../api/errors';
import { useApp } from '../api/hooks';
import { followTenantEvents, type StreamState } from '../api/live';
import type { LiveEventFragment } from '../generated/graphql';
import { Field } from '../ui/form';
import { ErrorNote, Time } from '../ui/page';
import { StatusBadge } from '../ui/status';

/** Events kept on the page; older ones scroll off (the API keeps them all). */
const KEEP = 200;

const STATE_TEXT: Record<StreamState, string> = {
  connecting: 'Connecting…',
  'catching-up': 'Catching up on stored events…',
  live: 'Live: new events appear as they happen.',
  reconnecting: 'Connection lost; reconnecting. Missed events will follow, none skipped.',
  ended: 'The stream has ended.',
};

/**
 * The tenant's events, live (tenantEvents), newest first. It starts from the tenant's first
 * event, so the page shows history and then keeps up; after a dropped connection it resumes
 * after the last event received (src/api/live.ts).
 */
export function TenantEvents(props: { tenantId: string }) {
  const { live } = useApp();
  const [filter, setFilter] = useState('');
  const [names, setNames] = useState<string[] | null>(null);
  const [events, setEvents] = useState<LiveEventFragment[]>([]);
  const [total, setTotal] = useState(0);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<ApiError>();

  useEffect(() => {
    setEvents([]);
    setTotal(0);
    setError(undefined);
    return followTenantEvents(live, {
      tenantId: props.tenantId,
      names,
      after: '0',
      onEvent: (event) => {
        setEvents((previous) => [event, ...previous].slice(0, KEEP));
        setTotal((count) => count + 1);
      },
      onState: (next, streamError) => {
        setState(next);
        setError(streamError);
      },
    });
  }, [live, props.tenantId, names]);

  const apply = (event: Event) => {
    event.preventDefault();
    const list = filter.split(/[\s,]+/).filter(Boolean);
    setNames(list.length ? list : null);
  };

  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Live events</h2>
      <form class="inline" onSubmit={apply}>
        <Field label="Only these event names" placeholder="e.g. tenant.member.added, tenant.updated" value={filter} onInput={setFilter} />
        <button type="submit" class="secondary">
          Apply filter
        </button>
      </form>
      <p class="stream-state" role="status" data-state={state}>
        <StatusBadge status={state} /> {STATE_TEXT[state]} <span class="muted">{total} received.</span>
      </p>
      <ErrorNote error={error} />
      {events.length === 0 && state === 'live' && <p class="muted">No events yet{names ? ' with these names' : ''}.</p>}
      <ol class="events" aria-label="Events, newest first">
        {events.map((event) => (
          <li key={event.id} data-seq={event.seq}>
            <div class="event-head">
              <code class="event-name">{event.name}</code>
              <Time value={event.occurredAt} />
              <span class="muted">#{event.seq}</span>
            </div>
            <details>
              <summary>Payload</summary>
              <pre>{JSON.stringify(event.payload, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}
