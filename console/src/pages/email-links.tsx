import { useState } from 'preact/hooks';
import { useApp, useMutation } from '../api/hooks';
import { AcceptInvitationDocument, DeclineInvitationDocument, ResetPasswordDocument, VerifyEmailDocument } from '../generated/graphql';
import { Link, useRoute } from '../router';
import { Field } from '../ui/form';
import { ErrorNote, Notice, Page } from '../ui/page';

/**
 * Where the links of Herald's emails land (DESIGN.md §6b). Each asks for a click before using its
 * single-use token, so a mail scanner that merely opens the link does not spend it.
 */
function useToken(): string | null {
  return useRoute().query.get('token');
}

function MissingToken() {
  return <p class="error">This link has no token. Open the link from the email again, whole.</p>;
}

export function VerifyEmailPage() {
  const token = useToken();
  const { me, reloadMe } = useApp();
  const [verify, { pending, error }] = useMutation(VerifyEmailDocument);
  const [verified, setVerified] = useState<string | null>(null);
  const submit = async () => {
    const data = await verify({ token: token! });
    if (data) {
      setVerified(data.verifyEmail.email);
      if (me) await reloadMe();
    }
  };
  return (
    <Page title="Verify your email">
      <div class="card narrow">
        {!token ? (
          <MissingToken />
        ) : verified ? (
          <>
            <Notice>Thank you: {verified} is verified.</Notice>
            <p>{me ? <Link to="/">Go to your tenants</Link> : <Link to="/sign-in">Sign in</Link>}</p>
          </>
        ) : (
          <>
            <p>Confirm that this address is yours.</p>
            <ErrorNote error={error} />
            <button type="button" disabled={pending} onClick={submit}>
              Verify my email
            </button>
          </>
        )}
      </div>
    </Page>
  );
}

export function ResetPasswordPage() {
  const token = useToken();
  const { session } = useApp();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const [reset, { pending, error }] = useMutation(ResetPasswordDocument);
  const submit = async (event: Event) => {
    event.preventDefault();
    setMismatch(password !== repeat);
    if (password !== repeat) return;
    if (await reset({ token: token!, newPassword: password })) {
      setDone(true);
      // Every session of the account ended on the server, this tab's included.
      session.forget();
    }
  };
  return (
    <Page title="Choose a new password">
      {!token ? (
        <MissingToken />
      ) : done ? (
        <div class="card narrow">
          <Notice>Your password is changed and every session ended. Sign in with the new password.</Notice>
          <p>
            <Link to="/sign-in">Sign in</Link>
          </p>
        </div>
      ) : (
        <form class="card narrow" onSubmit={submit}>
          <Field label="New password" type="password" autoComplete="new-password" required minLength={8} maxLength={128} value={password} onInput={setPassword} hint="8 to 128 characters, not a common password." />
          <Field label="New password again" type="password" autoComplete="new-password" required value={repeat} onInput={setRepeat} />
          {mismatch && (
            <p class="error" role="alert">
              The two passwords differ; type the same one twice.
            </p>
          )}
          <ErrorNote error={error} />
          <button type="submit" disabled={pending}>
            Set the new password
          </button>
        </form>
      )}
    </Page>
  );
}

export function AcceptInvitationPage() {
  const token = useToken();
  const { me } = useApp();
  const { path, query } = useRoute();
  const [accept, accepting] = useMutation(AcceptInvitationDocument);
  const [decline, declining] = useMutation(DeclineInvitationDocument);
  const [outcome, setOutcome] = useState<string | null>(null);
  const here = encodeURIComponent(`${path}?${query}`);
  if (!token) {
    return (
      <Page title="Invitation">
        <MissingToken />
      </Page>
    );
  }
  const onAccept = async () => {
    const data = await accept({ token });
    if (data) setOutcome(`You joined as ${data.acceptInvitation.role.toLowerCase()}.`);
  };
  const onDecline = async () => {
    if (await decline({ token })) setOutcome('You declined the invitation. Nothing else happens.');
  };
  return (
    <Page title="You are invited">
      <div class="card narrow">
        {outcome ? (
          <>
            <Notice>{outcome}</Notice>
            {me && <Link to="/">Go to your tenants</Link>}
          </>
        ) : (
          <>
            {me ? (
              <p>
                Accept as <strong>{me.email}</strong>. The invitation must be to this address, and the address verified.
              </p>
            ) : (
              <p>
                To accept, <Link to={`/sign-in?next=${here}`}>sign in</Link> or <Link to={`/sign-up?next=${here}`}>create an account</Link> with the
                invited address, verify it, then come back to this link. You can decline without an account.
              </p>
            )}
            <ErrorNote error={accepting.error ?? declining.error} />
            <div class="row-actions">
              {me && (
                <button type="button" disabled={accepting.pending} onClick={onAccept}>
                  Accept invitation
                </button>
              )}
              <button type="button" class="secondary" disabled={declining.pending} onClick={onDecline}>
                Decline
              </button>
            </div>
          </>
        )}
      </div>
    </Page>
  );
}
