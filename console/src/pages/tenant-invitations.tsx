import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '../api/hooks';
import {
  InviteMemberDocument,
  ResendInvitationDocument,
  RevokeInvitationDocument,
  TenantInvitationsDocument,
  type InvitationStatus,
  type Role,
} from '../generated/graphql';
import { Choice, Field } from '../ui/form';
import { ErrorNote, Loading, MoreButton, Notice, Time } from '../ui/page';
import { StatusBadge } from '../ui/status';
import { ROLES } from './tenant-members';

const STATUSES = ['ALL', 'PENDING', 'ACCEPTED', 'DECLINED', 'REVOKED', 'EXPIRED'] as const;
const PAGE = 25;

export function TenantInvitations(props: { tenantId: string }) {
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('PENDING');
  const [shown, setShown] = useState(PAGE);
  const list = useQuery(TenantInvitationsDocument, {
    tenantId: props.tenantId,
    status: status === 'ALL' ? null : (status as InvitationStatus),
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('MEMBER');
  const [sent, setSent] = useState<string | null>(null);
  const [invite, inviting] = useMutation(InviteMemberDocument);
  const [resend, resending] = useMutation(ResendInvitationDocument);
  const [revoke, revoking] = useMutation(RevokeInvitationDocument);

  const submit = async (event: Event) => {
    event.preventDefault();
    setSent(null);
    if (await invite({ tenantId: props.tenantId, email, role })) {
      setSent(email);
      setEmail('');
      await list.reload();
    }
  };
  const invitations = list.data?.invitations ?? [];

  return (
    <section aria-labelledby="invitations-heading">
      <h2 id="invitations-heading">Invitations</h2>
      <form class="inline card" onSubmit={submit}>
        <Field label="Invite by email" type="email" required value={email} onInput={setEmail} />
        <Choice label="Role" value={role} options={ROLES} onChange={setRole} />
        <button type="submit" disabled={inviting.pending}>
          Send invitation
        </button>
      </form>
      {sent && <Notice>An invitation is on its way to {sent}. It works for 7 days.</Notice>}
      <ErrorNote error={inviting.error ?? resending.error ?? revoking.error ?? list.error} />
      <Choice label="Show" value={status} options={STATUSES} onChange={setStatus} />
      <Loading when={list.loading && !list.data} />
      {invitations.length === 0 && !list.loading && !list.error && <p>No invitations here.</p>}
      {invitations.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Invited by</th>
              <th scope="col">Expires</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {invitations.slice(0, shown).map((invitation) => (
              <tr key={invitation.id}>
                <td>{invitation.email}</td>
                <td>{invitation.role.toLowerCase()}</td>
                <td>
                  <StatusBadge status={invitation.status} />
                </td>
                <td>{invitation.invitedBy?.name ?? <span class="muted">–</span>}</td>
                <td>
                  <Time value={invitation.expiresAt} />
                </td>
                <td>
                  {invitation.status === 'PENDING' && (
                    <div class="row-actions">
                      <button type="button" class="secondary" onClick={async () => (await resend({ id: invitation.id })) && list.reload()}>
                        Resend
                      </button>
                      <button type="button" class="secondary danger" onClick={async () => (await revoke({ id: invitation.id })) && list.reload()}>
                        Revoke
                      </button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton hasMore={invitations.length > shown} loading={false} onClick={() => setShown(shown + PAGE)} />
    </section>
  );
}
