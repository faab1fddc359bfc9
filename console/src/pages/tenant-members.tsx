import { useEffect, useState } from 'preact/hooks';
import { useApp, useMutation } from '../api/hooks';
import { ChangeMemberRoleDocument, LeaveTenantDocument, RemoveMemberDocument, type Role, type TenantDetailQuery } from '../generated/graphql';
import { navigate } from '../router';
import { ErrorNote, MoreButton, Time } from '../ui/page';

export const ROLES: readonly Role[] = ['OWNER', 'ADMIN', 'MEMBER'];
const PAGE = 25;

type Tenant = NonNullable<TenantDetailQuery['tenant']>;

/** My role in the tenant (platform admins act as OWNER, as the API treats them). */
export function roleIn(tenant: Tenant, me: { id: string; isPlatformAdmin: boolean } | null): Role | null {
  if (me?.isPlatformAdmin) return 'OWNER';
  return tenant.members.find((member) => member.user.id === me?.id)?.role ?? null;
}

export function TenantMembers(props: { tenant: Tenant; onChange: () => Promise<void> }) {
  const { me } = useApp();
  const [shown, setShown] = useState(PAGE);
  const [changeRole, changing] = useMutation(ChangeMemberRoleDocument);
  const [remove, removing] = useMutation(RemoveMemberDocument);
  const [leave, leaving] = useMutation(LeaveTenantDocument);
  const myRole = roleIn(props.tenant, me);
  const manages = myRole === 'OWNER' || myRole === 'ADMIN';
  const members = props.tenant.members;
  // The last owner cannot leave (the API says so too); the button is not offered.
  const canLeave = myRole !== null && !me?.isPlatformAdmin && (myRole !== 'OWNER' || members.filter((m) => m.role === 'OWNER').length > 1);
  // The page read the tenant when it opened; people may have joined since.
  useEffect(() => void props.onChange(), []);

  const onRole = async (userId: string, role: Role) => {
    if (await changeRole({ tenantId: props.tenant.id, userId, role })) await props.onChange();
  };
  const onRemove = async (userId: string, name: string) => {
    if (!confirm(`Remove ${name} from ${props.tenant.name}?`)) return;
    if (await remove({ tenantId: props.tenant.id, userId })) await props.onChange();
  };
  const onLeave = async () => {
    if (!confirm(`Leave ${props.tenant.name}? You will need a new invitation to come back.`)) return;
    if (await leave({ tenantId: props.tenant.id })) navigate('/');
  };

  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <ErrorNote error={changing.error ?? removing.error ?? leaving.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            {manages && <th scope="col"><span class="visually-hidden">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {members.slice(0, shown).map((member) => (
            <tr key={member.user.id}>
              <td>{member.user.name}</td>
              <td>{member.user.email}</td>
              <td>
                {manages ? (
                  <select
                    aria-label={`Role of ${member.user.name}`}
                    value={member.role}
                    disabled={changing.pending}
                    onChange={(e) => onRole(member.user.id, e.currentTarget.value as Role)}
                  >
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {role.toLowerCase()}
                      </option>
                    ))}
                  </select>
                ) : (
                  member.role.toLowerCase()
                )}
              </td>
              <td>
                <Time value={member.createdAt} />
              </td>
              {manages && (
                <td>
                  {member.user.id !== me?.id && (
                    <button type="button" class="secondary danger" onClick={() => onRemove(member.user.id, member.user.name)}>
                      Remove
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <MoreButton hasMore={members.length > shown} loading={false} onClick={() => setShown(shown + PAGE)} />
      {canLeave && (
        <p>
          <button type="button" class="secondary danger" onClick={onLeave}>
            Leave this tenant
          </button>
        </p>
      )}
    </section>
  );
}
