import { useApp, useQuery } from '../api/hooks';
import { MyInvitationsDocument } from '../generated/graphql';
import { ErrorNote, Loading, Page, Time } from '../ui/page';

/** Pending invitations to my verified address; each is answered through its email's link. */
export function MyInvitationsPage() {
  const { me } = useApp();
  const list = useQuery(MyInvitationsDocument, {});
  const invitations = list.data?.myInvitations ?? [];
  return (
    <Page title="Invitations to you">
      {!me?.emailVerified && <p class="notice">Verify your email first: invitations are shown, and accepted, only for a verified address.</p>}
      <ErrorNote error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && invitations.length === 0 && <p>No pending invitations to {me?.email}.</p>}
      {invitations.length > 0 && (
        <>
          <p class="muted">Open the link in the invitation email to accept or decline.</p>
          <table>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Role</th>
                <th scope="col">Invited by</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((invitation) => (
                <tr key={invitation.id}>
                  <td>
                    {invitation.tenant.name} <code>{invitation.tenant.slug}</code>
                  </td>
                  <td>{invitation.role.toLowerCase()}</td>
                  <td>{invitation.invitedBy?.name ?? <span class="muted">–</span>}</td>
                  <td>
                    <Time value={invitation.expiresAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Page>
  );
}
