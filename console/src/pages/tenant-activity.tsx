import { useEffect, useState } from 'preact/hooks';
import { useApp } from '../api/hooks';
import { compareSeq } from '../api/live';
import { EventActivityDocument, type EventActivityQuery, type LiveEventFragment } from '../generated/graphql';
import { BarChart } from '../ui/bar-chart';
import { ErrorNote } from '../ui/page';

/** How often the counts are read again (between reads, streamed events add to them). */
const REFRESH_MS = 30_000;
const MINUTE = 60_000;

type Activity = EventActivityQuery['eventActivity'];

/**
 * The tenant's events per minute over the last hour: `eventActivity`'s counts, plus the streamed
 * events newer than what it counted, read again every 30 s. `onStart` gets the cursor the stream
 * should start from (the hour's first event) once it is known.
 */
export function useActivity(tenantId: string) {
  const { session } = useApp();
  const [activity, setActivity] = useState<Activity | null>(null);
  const [extra, setExtra] = useState<LiveEventFragment[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let stopped = false;
    const read = () =>
      session
        .request(EventActivityDocument, { tenantId })
        .then((data) => {
          if (stopped) return;
          setActivity(data.eventActivity);
          setExtra((previous) => previous.filter((event) => compareSeq(event.seq, data.eventActivity.upTo) > 0));
          setError(undefined);
        })
        .catch((caught: unknown) => !stopped && setError(caught));
    void read();
    const timer = setInterval(read, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [session, tenantId]);
  const count = (event: LiveEventFragment) => {
    if (activity && compareSeq(event.seq, activity.upTo) > 0) setExtra((previous) => [...previous, event]);
  };
  return { activity, extra, error, count };
}

export function ActivityChart(props: { activity: Activity | null; extra: LiveEventFragment[]; error: unknown }) {
  if (!props.activity) return <ErrorNote error={props.error} />;
  const minutes = props.activity.minutes.map((m) => ({ start: Date.parse(m.minute), count: m.count }));
  for (const event of props.extra) {
    const at = Date.parse(event.occurredAt);
    const bucket = minutes.find((m) => at >= m.start && at < m.start + MINUTE);
    if (bucket) bucket.count += 1;
  }
  const total = minutes.reduce((sum, m) => sum + m.count, 0);
  const busiest = minutes.reduce((best, m) => (m.count > best.count ? m : best), minutes[0]);
  const time = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const summary =
    total === 0
      ? 'No events in the last hour.'
      : `${total} event${total === 1 ? '' : 's'} in the last hour; the busiest minute, ${time(busiest.start)}, had ${busiest.count}.`;
  return (
    <BarChart
      summary={`Events per minute: ${summary}`}
      axis={[time(minutes[0].start), 'now']}
      bars={minutes.map((m) => ({ label: `${time(m.start)}: ${m.count}`, parts: [{ value: m.count, class: 'events' }] }))}
    />
  );
}
