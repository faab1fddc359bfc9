import { useQuery } from '../api/hooks';
import { TenantDetailDocument } from '../generated/graphql';
import { Link } from '../router';
import { ErrorNote, Loading, Page } from '../ui/page';
import { StatusBadge } from '../ui/status';
import { TenantAudit } from './tenant-audit';
import { TenantEvents } from './tenant-events';
import { TenantInvitations } from './tenant-invitations';
import { TenantMembers } from './tenant-members';
import { TenantWebhooks } from './tenant-webhooks';

const TABS = [
  ['events', 'Live events'],
  ['members', 'Members'],
  ['invitations', 'Invitations'],
  ['audit', 'Audit log'],
  ['webhooks', 'Webhooks'],
] as const;

export function TenantPage(props: { id: string; tab: string }) {
  const tenant = useQuery(TenantDetailDocument, { id: props.id });
  const data = tenant.data?.tenant;
  if (!data) {
    return (
      <Page title="Tenant">
        <Loading when={tenant.loading} />
        <ErrorNote error={tenant.error} />
      </Page>
    );
  }
  return (
    <Page title={data.name} actions={<StatusBadge status={data.status} />}>
      <p class="muted">
        <code>{data.slug}</code> · id <code>{data.id}</code>
      </p>
      <nav class="tabs" aria-label="Tenant">
        {TABS.map(([tab, label]) => (
          <Link key={tab} to={`/tenants/${data.id}/${tab}`} aria-current={props.tab === tab ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {props.tab === 'events' && <TenantEvents tenantId={data.id} />}
      {props.tab === 'members' && <TenantMembers tenant={data} onChange={tenant.reload} />}
      {props.tab === 'invitations' && <TenantInvitations tenantId={data.id} />}
      {props.tab === 'audit' && <TenantAudit tenantId={data.id} />}
      {props.tab === 'webhooks' && <TenantWebhooks tenantId={data.id} />}
    </Page>
  );
}
