import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from '../api/hooks';
import { MyTenantsDocument } from '../generated/graphql';
import { ErrorNote } from '../ui/page';

/**
 * The document the explorer opens with: run MyTenants, then TenantEvents follows a tenant's
 * events from its first one (`after: "0"`), so even a finished onboarding shows.
 */
const PREPARED = `# Herald's API, as you. Press ▶ and pick an operation.
# TenantEvents follows a tenant's events live,
# from its first one (after: "0").

query MyTenants {
  tenants(first: 10) { edges { node { id slug name status } } }
}

subscription TenantEvents($tenantId: ID!) {
  tenantEvents(tenantId: $tenantId, after: "0") { seq name occurredAt payload }
}
`;

export function ExplorerPage() {
  const { session, live } = useApp();
  const element = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    document.title = 'Explorer · Herald console';
    let unmount: (() => void) | undefined;
    let stopped = false;
    (async () => {
      const [{ mountExplorer }, tenants] = await Promise.all([
        import('../explorer/mount'),
        session.request(MyTenantsDocument, { first: 1 }).catch(() => null),
      ]);
      if (stopped || !element.current) return;
      const tenantId = tenants?.tenants.edges[0]?.node.id ?? 'a tenant id from MyTenants';
      unmount = mountExplorer(element.current, {
        token: () => session.token(),
        live,
        initialQuery: PREPARED,
        initialVariables: JSON.stringify({ tenantId }, null, 2),
      });
    })().catch(setError);
    return () => {
      stopped = true;
      unmount?.();
    };
  }, [session, live]);
  return (
    <>
      <h1 tabIndex={-1} class="visually-hidden">
        API explorer
      </h1>
      <ErrorNote error={error} />
      <div ref={element} class="explorer" />
    </>
  );
}
