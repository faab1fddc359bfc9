import { usePages } from '../api/hooks';
import { AuditLogDocument } from '../generated/graphql';
import { ErrorNote, Loading, MoreButton, Time } from '../ui/page';

export function TenantAudit(props: { tenantId: string }) {
  const log = usePages(AuditLogDocument, { tenantId: props.tenantId, first: 25 }, (data) => data.auditLog);
  return (
    <section aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <p class="muted">Who did what, newest first (owners and admins).</p>
      <ErrorNote error={log.error} />
      {log.nodes.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">By</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {log.nodes.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <Time value={entry.occurredAt} />
                </td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td>{entry.actor?.name ?? (entry.actorId ? <span class="muted">a removed account</span> : 'Herald')}</td>
                <td>{entry.ip ?? <span class="muted">–</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!log.loading && !log.error && log.nodes.length === 0 && <p>Nothing recorded yet.</p>}
      <Loading when={log.loading && log.nodes.length === 0} />
      <MoreButton hasMore={log.hasMore} loading={log.loading} onClick={log.loadMore} />
    </section>
  );
}
