import { useState } from 'preact/hooks';
import { useApp, useMutation, useQuery } from '../api/hooks';
import {
  ChangeEmailDocument,
  DeleteAccountDocument,
  ResendVerificationDocument,
  RevokeSessionDocument,
  SessionsDocument,
} from '../generated/graphql';
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
      <ChangePassword />
      <ChangeEmail />
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

function ChangePassword() {
  const { session } = useApp();
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [state, setState] = useState<{ pending: boolean; error: unknown; done: boolean; mismatch: boolean }>({
    pending: false,
    error: undefined,
    done: false,
    mismatch: false,
  });
  const submit = async (event: Event) => {
    event.preventDefault();
    if (password !== repeat) return setState({ pending: false, error: undefined, done: false, mismatch: true });
    setState({ pending: true, error: undefined, done: false, mismatch: false });
    try {
      // Through /console/auth, so the new refresh token lands in the cookie (this tab stays signed in).
      await session.changePassword(current, password);
      setCurrent('');
      setPassword('');
      setRepeat('');
      setState({ pending: false, error: undefined, done: true, mismatch: false });
    } catch (error) {
      setState({ pending: false, error, done: false, mismatch: false });
    }
  };
  return (
    <section aria-labelledby="password-heading">
      <h2 id="password-heading">Change your password</h2>
      <p class="muted">Your other sessions end; this one goes on.</p>
      <form class="card narrow" onSubmit={submit}>
        <Field label="Current password" type="password" autoComplete="current-password" required value={current} onInput={setCurrent} />
        <Field label="New password" type="password" autoComplete="new-password" required minLength={8} maxLength={128} value={password} onInput={setPassword} hint="8 to 128 characters, not a common password." />
        <Field label="New password again" type="password" autoComplete="new-password" required value={repeat} onInput={setRepeat} />
        {state.mismatch && (
          <p class="error" role="alert">
            The two passwords differ; type the same one twice.
          </p>
        )}
        <ErrorNote error={state.error} />
        {state.done && <Notice>Your password is changed. Your other sessions have ended.</Notice>}
        <button type="submit" disabled={state.pending}>
          Change password
        </button>
      </form>
    </section>
  );
}

function ChangeEmail() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [change, { pending, error }] = useMutation(ChangeEmailDocument);
  const submit = async (event: Event) => {
    event.preventDefault();
    setSentTo(null);
    if (await change({ newEmail: email, currentPassword: password })) {
      setSentTo(email);
      setPassword('');
    }
  };
  return (
    <section aria-labelledby="email-heading">
      <h2 id="email-heading">Change your email</h2>
      <p class="muted">We send a link to the new address; your email changes when you open it. Your current address gets a notice.</p>
      <form class="card narrow" onSubmit={submit}>
        <Field label="New email address" type="email" autoComplete="email" required maxLength={254} value={email} onInput={setEmail} />
        <Field label="Your current password" type="password" autoComplete="current-password" required value={password} onInput={setPassword} />
        <ErrorNote error={error} />
        {sentTo && <Notice>A link is on its way to {sentTo}. Your email changes when you open it.</Notice>}
        <button type="submit" disabled={pending}>
          Send the link
        </button>
      </form>
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
