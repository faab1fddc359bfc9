import { useState } from 'preact/hooks';
import { useApp, useMutation, useQuery } from '../api/hooks';
import { DeleteAccountDocument, ResendVerificationDocument, RevokeSessionDocument, SessionsDocument } from '../generated/graphql';
import { navigate } from '../router';
import { Field } from '../ui/form';
import { ErrorNote, Loading, MoreButton, Notice, Page, Time } from '../ui/page';

const PAGE = 20;

export function AccountPage() {
  const { me } = useApp();
  const [resend, resending] = useMutation(ResendVerificationDocument);
  const [resent, setResent] = useState(false);
  if (!me) return null;
  return (
    <Page title="Your account">
      <dl class="facts">
        <dt>Name</dt>
        <dd>{me.name}</dd>
        <dt>Email</dt>
        <dd>
          {me.email} {me.emailVerified ? <span class="badge good">Verified</span> : <span class="badge neutral">Not verified</span>}
        </dd>
        <dt>Member since</dt>
        <dd>
          <Time value={me.createdAt} />
        </dd>
      </dl>
      {!me.emailVerified && (
        <p>
          <button type="button" class="secondary" disabled={resending.pending} onClick={async () => setResent(Boolean(await resend({})))}>
            Send the verification link again
          </button>
        </p>
      )}
      {resent && <Notice>A new verification link is on its way to {me.email}.</Notice>}
      <ErrorNote error={resending.error} />
      <Sessions />
      <DeleteAccount />
    </Page>
  );
}

function Sessions() {
  const { session } = useApp();
  const list = useQuery(SessionsDocument, {});
  const [revoke, revoking] = useMutation(RevokeSessionDocument);
  const [shown, setShown] = useState(PAGE);
  const sessions = list.data?.sessions ?? [];
  const onRevoke = async (id: string, current: boolean) => {
    if (!(await revoke({ id }))) return;
    if (current) {
      session.forget();
      navigate('/sign-in');
    } else await list.reload();
  };
  return (
    <section aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Your sessions</h2>
      <p class="muted">Every browser or device signed in to your account. Ending one signs it out and closes its live connections.</p>
      <ErrorNote error={list.error ?? revoking.error} />
      <Loading when={list.loading && !list.data} />
      {sessions.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Address</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last used</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {sessions.slice(0, shown).map((s) => (
              <tr key={s.id}>
                <td>
                  {s.userAgent ?? <span class="muted">unknown</span>} {s.current && <span class="badge good">This one</span>}
                </td>
                <td>{s.ip ?? <span class="muted">–</span>}</td>
                <td>
                  <Time value={s.createdAt} />
                </td>
                <td>
                  <Time value={s.lastUsedAt} />
                </td>
                <td>
                  <button type="button" class="secondary danger" onClick={() => onRevoke(s.id, s.current)}>
                    {s.current ? 'Sign out' : 'End session'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton hasMore={sessions.length > shown} loading={false} onClick={() => setShown(shown + PAGE)} />
    </section>
  );
}

function DeleteAccount() {
  const { session } = useApp();
  const [password, setPassword] = useState('');
  const [remove, { pending, error }] = useMutation(DeleteAccountDocument);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!confirm('Delete your account for good? This cannot be undone.')) return;
    if (await remove({ password })) {
      session.forget();
      navigate('/sign-in?deleted=1');
    }
  };
  return (
    <section aria-labelledby="delete-heading" class="danger-zone">
      <h2 id="delete-heading">Delete your account</h2>
      <p>
        Your sessions end, your memberships go, and your name, email and addresses are erased from every record. If you are the last owner of a
        tenant, give it another owner or delete it first. Emails and events already delivered cannot be recalled.
      </p>
      <form class="inline" onSubmit={submit}>
        <Field label="Your password" type="password" autoComplete="current-password" required value={password} onInput={setPassword} />
        <button type="submit" class="danger" disabled={pending}>
          Delete my account
        </button>
      </form>
      <ErrorNote error={error} />
    </section>
  );
}
