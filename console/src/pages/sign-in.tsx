import { useState } from 'preact/hooks';
import { useApp, useMutation } from '../api/hooks';
import { RequestPasswordResetDocument } from '../generated/graphql';
import { Link, navigate, useRoute } from '../router';
import { Field } from '../ui/form';
import { ErrorNote, Notice, Page } from '../ui/page';

/** Where to go after signing in: the page that sent the user here, if it is one of ours. */
function nextPath(query: URLSearchParams): string {
  const next = query.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/** Submits a sign-in or sign-up, then goes where the user was headed. */
function useEntry(enter: () => Promise<void>) {
  const { reloadMe } = useApp();
  const { query } = useRoute();
  const [error, setError] = useState<unknown>();
  const [pending, setPending] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      await enter();
      await reloadMe();
      navigate(nextPath(query), { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setPending(false);
    }
  };
  return { submit, error, pending };
}

export function SignInPage() {
  const { session } = useApp();
  const { query } = useRoute();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { submit, error, pending } = useEntry(() => session.signIn(email, password));
  return (
    <Page title="Sign in">
      <form class="card narrow" onSubmit={submit}>
        <Field label="Email" type="email" autoComplete="username" required value={email} onInput={setEmail} />
        <Field label="Password" type="password" autoComplete="current-password" required value={password} onInput={setPassword} />
        <ErrorNote error={error} />
        <button type="submit" disabled={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
        <p>
          New here? <Link to={`/sign-up${query.size ? `?${query}` : ''}`}>Create an account</Link> ·{' '}
          <Link to="/forgot-password">Forgot your password?</Link>
        </p>
      </form>
    </Page>
  );
}

export function SignUpPage() {
  const { session } = useApp();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { submit, error, pending } = useEntry(() => session.signUp(name, email, password));
  return (
    <Page title="Create an account">
      <form class="card narrow" onSubmit={submit}>
        <Field label="Name" autoComplete="name" required maxLength={100} value={name} onInput={setName} />
        <Field label="Email" type="email" autoComplete="email" required value={email} onInput={setEmail} hint="We send a link to verify it." />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          maxLength={128}
          value={password}
          onInput={setPassword}
          hint="8 to 128 characters, not a common password."
        />
        <ErrorNote error={error} />
        <button type="submit" disabled={pending}>
          {pending ? 'Creating…' : 'Create account'}
        </button>
        <p>
          Have an account? <Link to="/sign-in">Sign in</Link>
        </p>
      </form>
    </Page>
  );
}

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [request, { pending, error }] = useMutation(RequestPasswordResetDocument);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await request({ email })) setSent(true);
  };
  return (
    <Page title="Reset your password">
      <form class="card narrow" onSubmit={submit}>
        {sent ? (
          <Notice>If an account has the address {email}, a link to reset its password is on its way. It works for 30 minutes.</Notice>
        ) : (
          <>
            <Field label="Email" type="email" autoComplete="email" required value={email} onInput={setEmail} />
            <ErrorNote error={error} />
            <button type="submit" disabled={pending}>
              Send me a link
            </button>
          </>
        )}
        <p>
          <Link to="/sign-in">Back to sign in</Link>
        </p>
      </form>
    </Page>
  );
}
