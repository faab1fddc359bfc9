import { useState } from 'preact/hooks';
import { useMutation, usePages, useQuery } from '../api/hooks';
import { DeliveriesDocument, EventStatsDocument, MyTenantsDocument, RetryDeliveryDocument, type EventStatsQuery } from '../generated/graphql';
import { BarChart } from '../ui/bar-chart';
import { ErrorNote, Loading, MoreButton, Notice, Page, Time } from '../ui/page';
import { TenantTable } from './tenants';

/** For platform admins: how the listeners are doing, the deliveries that died, every tenant. */
export function AdminPage() {
  return (
    <Page title="Platform">
      <ListenerStats />
      <DeadDeliveries />
      <AllTenants />
    </Page>
  );
}

function ListenerStats() {
  const stats = useQuery(EventStatsDocument, {});
  const listeners = stats.data?.eventStats.listeners ?? [];
  return (
    <section aria-labelledby="stats-heading">
      <h2 id="stats-heading">Deliveries per listener</h2>
      <ErrorNote error={stats.error} />
      <Loading when={stats.loading && !stats.data} />
      {listeners.length > 0 && <DeliveryChart listeners={listeners} />}
      {listeners.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Listener</th>
              <th scope="col" class="num">Done</th>
              <th scope="col" class="num">Pending</th>
              <th scope="col" class="num">Retrying</th>
              <th scope="col" class="num">Dead</th>
              <th scope="col" class="num">Oldest pending</th>
            </tr>
          </thead>
          <tbody>
            {listeners.map((listener) => (
              <tr key={listener.name}>
                <td>
                  <code>{listener.name}</code>
                </td>
                <td class="num">{listener.done}</td>
                <td class="num">{listener.pending}</td>
                <td class="num">{listener.retrying}</td>
                <td class="num">{listener.dead}</td>
                <td class="num">{listener.oldestPendingAgeSeconds == null ? '–' : `${listener.oldestPendingAgeSeconds.toFixed(1)} s`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" class="secondary" onClick={stats.reload}>
        Refresh
      </button>
    </section>
  );
}

/** Each listener's deliveries as shares of done, waiting (pending and retrying) and dead. */
function DeliveryChart(props: { listeners: EventStatsQuery['eventStats']['listeners'] }) {
  const dead = props.listeners.filter((l) => l.dead > 0);
  const waiting = props.listeners.reduce((sum, l) => sum + l.pending + l.retrying, 0);
  const summary =
    `${props.listeners.length} listeners; ${waiting} deliveries waiting; ` +
    (dead.length === 0 ? 'none dead.' : `dead deliveries at ${dead.map((l) => `${l.name} (${l.dead})`).join(', ')}.`);
  return (
    <>
      <p class="legend" aria-hidden="true">
        <span><i class="done" />done</span>
        <span><i class="pending" />pending or retrying</span>
        <span><i class="dead" />dead</span>
      </p>
      <BarChart
        shares
        labels
        height={60}
        summary={`Deliveries per listener: ${summary}`}
        bars={props.listeners.map((l) => ({
          label: l.name,
          parts: [
            { value: l.done, class: 'done' },
            { value: l.pending + l.retrying, class: 'pending' },
            { value: l.dead, class: 'dead' },
          ],
        }))}
      />
    </>
  );
}

function DeadDeliveries() {
  const dead = usePages(DeliveriesDocument, { status: 'DEAD', first: 20 }, (data) => data.deliveries);
  const [retry, retrying] = useMutation(RetryDeliveryDocument);
  const [retried, setRetried] = useState<string | null>(null);
  const onRetry = async (id: string, listener: string) => {
    if (await retry({ id })) {
      setRetried(listener);
      await dead.reload();
    }
  };
  return (
    <section aria-labelledby="dead-heading">
      <h2 id="dead-heading">Dead deliveries</h2>
      <p class="muted">Listener runs that failed every attempt. Fix the cause, then run them again.</p>
      {retried && <Notice>The delivery to {retried} is queued again.</Notice>}
      <ErrorNote error={dead.error ?? retrying.error} />
      {!dead.loading && !dead.error && dead.nodes.length === 0 && <p>No dead deliveries.</p>}
      {dead.nodes.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Listener</th>
              <th scope="col">Event</th>
              <th scope="col" class="num">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Failed</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {dead.nodes.map((delivery) => (
              <tr key={delivery.id}>
                <td>
                  <code>{delivery.listener}</code>
                </td>
                <td>
                  <code>{delivery.event.name}</code> <span class="muted">#{delivery.event.seq}</span>
                </td>
                <td class="num">{delivery.attempts}</td>
                <td class="wrap">{delivery.lastError ?? '–'}</td>
                <td>
                  <Time value={delivery.updatedAt} />
                </td>
                <td>
                  <button type="button" class="secondary" disabled={retrying.pending} onClick={() => onRetry(delivery.id, delivery.listener)}>
                    Retry
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Loading when={dead.loading && dead.nodes.length === 0} />
      <MoreButton hasMore={dead.hasMore} loading={dead.loading} onClick={dead.loadMore} />
    </section>
  );
}

function AllTenants() {
  const tenants = usePages(MyTenantsDocument, { first: 20 }, (data) => data.tenants);
  return (
    <section aria-labelledby="tenants-heading">
      <h2 id="tenants-heading">Every tenant</h2>
      <ErrorNote error={tenants.error} />
      <TenantTable tenants={tenants.nodes} />
      <MoreButton hasMore={tenants.hasMore} loading={tenants.loading} onClick={tenants.loadMore} />
    </section>
  );
}
