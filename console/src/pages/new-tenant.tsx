import { useEffect, useState } from 'preact/hooks';
import { useApp, useMutation } from '../api/hooks';
import { followTenantEvents } from '../api/live';
import { CreateTenantDocument, TenantDetailDocument, type TenantSummaryFragment } from '../generated/graphql';
import { Link } from '../router';
import { Field } from '../ui/form';
import { ErrorNote, Page } from '../ui/page';
import { StatusBadge } from '../ui/status';

/** The onboarding workflow's steps, in order (docs/TENANTS.md), with what each does. */
const STEPS = [
  ['PROVISION_SCHEMA', 'Create the tenant’s database schema'],
  ['SETUP_ADMIN_USER', 'Make you its owner'],
  ['CONFIGURE_SETTINGS', 'Write its default settings'],
  ['SEND_SETUP_GUIDE', 'Email you the setup guide'],
] as const;

function slugOf(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
}

export function NewTenantPage() {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const [created, setCreated] = useState<TenantSummaryFragment | null>(null);
  const [create, { pending, error }] = useMutation(CreateTenantDocument);
  const submit = async (event: Event) => {
    event.preventDefault();
    const data = await create({ input: { name, slug } });
    if (data) setCreated(data.createTenant);
  };
  if (created) return <Onboarding tenant={created} />;
  return (
    <Page title="New tenant">
      <form class="card narrow" onSubmit={submit}>
        <Field
          label="Name"
          required
          maxLength={100}
          value={name}
          onInput={(value) => {
            setName(value);
            if (!slugEdited) setSlug(slugOf(value));
          }}
        />
        <Field
          label="Slug"
          required
          value={slug}
          onInput={(value) => {
            setSlug(value);
            setSlugEdited(true);
          }}
          hint="3 to 40 lowercase letters, digits and dashes; unique. It names the tenant in URLs."
        />
        <ErrorNote error={error} />
        <button type="submit" disabled={pending}>
          {pending ? 'Creating…' : 'Create tenant'}
        </button>
      </form>
    </Page>
  );
}

/**
 * Onboarding, step by step, as it happens: the page follows the tenant's events from its very
 * first one (`after: "0"`; onboarding takes a fraction of a second, so a stream opened "from now"
 * would show nothing) and reads the tenant again at each one.
 */
function Onboarding(props: { tenant: TenantSummaryFragment }) {
  const { live, session } = useApp();
  const [tenant, setTenant] = useState(props.tenant);
  const [events, setEvents] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const refresh = () =>
      session
        .request(TenantDetailDocument, { id: props.tenant.id })
        .then((data) => data.tenant && setTenant(data.tenant))
        .catch(setError);
    const stop = followTenantEvents(live, {
      tenantId: props.tenant.id,
      names: null,
      after: '0',
      onEvent: (event) => {
        setEvents((previous) => [...previous, event.name]);
        void refresh();
      },
      onState: (_state, streamError) => streamError && setError(streamError),
    });
    void refresh();
    return stop;
  }, [live, session, props.tenant.id]);

  const { step, status } = tenant.onboarding;
  const doneIndex = status === 'COMPLETED' ? STEPS.length : STEPS.findIndex(([name]) => name === step);
  return (
    <Page title={`Setting up ${tenant.name}`}>
      <p>
        Status: <StatusBadge status={tenant.status} />
      </p>
      <ol class="steps" aria-live="polite">
        {STEPS.map(([name, label], index) => {
          const state = index < doneIndex ? 'done' : index === doneIndex ? (status === 'FAILED' ? 'failed' : 'running') : 'waiting';
          return (
            <li key={name} class={`step ${state}`}>
              <span class="mark" aria-hidden="true">
                {state === 'done' ? '✓' : state === 'failed' ? '✕' : state === 'running' ? '…' : '·'}
              </span>
              {label} <span class="muted">({state})</span>
            </li>
          );
        })}
      </ol>
      {tenant.onboarding.error && <p class="error">{tenant.onboarding.error}</p>}
      <ErrorNote error={error} />
      {tenant.status === 'ACTIVE' && (
        <p>
          <strong>{tenant.name} is ready.</strong> <Link to={`/tenants/${tenant.id}`}>Open it</Link>
        </p>
      )}
      <details>
        <summary>Events so far ({events.length})</summary>
        <ul class="plain">
          {events.map((name, index) => (
            <li key={index}>
              <code>{name}</code>
            </li>
          ))}
        </ul>
      </details>
    </Page>
  );
}
