import { usePages } from '../api/hooks';
import { MyTenantsDocument, type TenantSummaryFragment } from '../generated/graphql';
import { Link } from '../router';
import { ErrorNote, Loading, MoreButton, Page, Time } from '../ui/page';
import { StatusBadge } from '../ui/status';

export function TenantsPage() {
  const tenants = usePages(MyTenantsDocument, { first: 20 }, (data) => data.tenants);
  return (
    <Page
      title="Your tenants"
      actions={
        <Link to="/tenants/new" class="button">
          New tenant
        </Link>
      }
    >
      <ErrorNote error={tenants.error} />
      {!tenants.loading && !tenants.error && tenants.nodes.length === 0 && (
        <p>You are not a member of any tenant yet. Create one, or accept an invitation sent to your email.</p>
      )}
      <TenantTable tenants={tenants.nodes} />
      <Loading when={tenants.loading && tenants.nodes.length === 0} />
      <MoreButton hasMore={tenants.hasMore} loading={tenants.loading} onClick={tenants.loadMore} />
    </Page>
  );
}

/** Tenants with their status and onboarding step (a failed step says why). */
export function TenantTable(props: { tenants: TenantSummaryFragment[] }) {
  if (props.tenants.length === 0) return null;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Slug</th>
          <th scope="col">Status</th>
          <th scope="col">Onboarding</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {props.tenants.map((tenant) => (
          <tr key={tenant.id}>
            <td>
              <Link to={`/tenants/${tenant.id}`}>{tenant.name}</Link>
            </td>
            <td>
              <code>{tenant.slug}</code>
            </td>
            <td>
              <StatusBadge status={tenant.status} />
            </td>
            <td>
              {tenant.onboarding.step.toLowerCase().replace(/_/g, ' ')}{' '}
              {tenant.onboarding.error && <span class="error-text">{tenant.onboarding.error}</span>}
            </td>
            <td>
              <Time value={tenant.createdAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
