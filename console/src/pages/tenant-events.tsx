import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../api/errors';
import { useApp } from '../api/hooks';
import { followTenantEvents, type StreamState } from '../api/live';
import type { LiveEventFragment } from '../generated/graphql';
import { Field } from '../ui/form';
import { ErrorNote, Time } from '../ui/page';
import { StatusBadge } from '../ui/status';
import { ActivityChart, useActivity } from './tenant-activity';

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
 * The tenant's events, live (tenantEvents), newest first, under a chart of the last hour. It
 * starts from the hour's first event (eventActivity's `hourStart`), so the page shows the recent
 * history and then keeps up; after a dropped connection it resumes after the last event received
 * (src/api/live.ts).
 */
export function TenantEvents(props: { tenantId: string }) {
  const { live } = useApp();
  const [filter, setFilter] = useState('');
  const [names, setNames] = useState<string[] | null>(null);
  const [events, setEvents] = useState<LiveEventFragment[]>([]);
  const [total, setTotal] = useState(0);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<ApiError>();
  const activity = useActivity(props.tenantId);
  const start = activity.activity?.hourStart ?? (activity.error ? '0' : null);
  const count = useRef(activity.count);
  count.current = activity.count;

  useEffect(() => {
    if (start === null) return;
    setEvents([]);
    setTotal(0);
    setError(undefined);
    return followTenantEvents(live, {
      tenantId: props.tenantId,
      names,
      after: start,
      onEvent: (event) => {
        setEvents((previous) => [event, ...previous].slice(0, KEEP));
        setTotal((n) => n + 1);
        if (!names) count.current(event);
      },
      onState: (next, streamError) => {
        setState(next);
        setError(streamError);
      },
    });
    // The start is read once; later reads of the activity only refresh the chart.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live, props.tenantId, names, start === null]);

  const apply = (event: Event) => {
    event.preventDefault();
    const list = filter.split(/[\s,]+/).filter(Boolean);
    setNames(list.length ? list : null);
  };

  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Live events</h2>
      <ActivityChart activity={activity.activity} extra={activity.extra} error={activity.error} />
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
