import { useState } from 'preact/hooks';
import { useMutation, usePages, useQuery } from '../api/hooks';
import {
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  ReplayWebhookMessagesDocument,
  RetryWebhookMessageDocument,
  RotateWebhookSecretDocument,
  SendTestWebhookDocument,
  UpdateWebhookEndpointDocument,
  WebhookAttemptsDocument,
  WebhookEndpointsDocument,
  type EndpointFieldsFragment,
} from '../generated/graphql';
import { Field } from '../ui/form';
import { ErrorNote, Loading, MoreButton, Notice, Time } from '../ui/page';
import { StatusBadge } from '../ui/status';

/** A signing secret, shown once (createWebhookEndpoint, rotateWebhookSecret): the API never shows it again. */
function Secret(props: { secret: string; onDone: () => void }) {
  return (
    <div class="notice" role="status">
      <p>
        The signing secret, shown <strong>this once</strong>: copy it into your receiver to verify signatures.
      </p>
      <p>
        <code class="secret">{props.secret}</code>
      </p>
      <button type="button" class="secondary" onClick={props.onDone}>
        I have copied it
      </button>
    </div>
  );
}

const PAGE = 25;

/** A tenant's webhook endpoints (OWNER, ADMIN): add, enable or disable, rotate, test, and each one's attempts. */
export function TenantWebhooks(props: { tenantId: string }) {
  const list = useQuery(WebhookEndpointsDocument, { tenantId: props.tenantId });
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState('');
  const [description, setDescription] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [shown, setShown] = useState(PAGE);
  const [create, creating] = useMutation(CreateWebhookEndpointDocument);

  const submit = async (event: Event) => {
    event.preventDefault();
    const eventTypes = types.split(/[\s,]+/).filter(Boolean);
    const data = await create({ tenantId: props.tenantId, input: { url, eventTypes, description: description || null } });
    if (data) {
      setSecret(data.createWebhookEndpoint.secret);
      setOpen(data.createWebhookEndpoint.endpoint.id);
      setUrl('');
      setTypes('');
      setDescription('');
      await list.reload();
    }
  };
  const endpoints = list.data?.webhookEndpoints ?? [];

  return (
    <section aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Webhooks</h2>
      <p class="muted">Herald sends the tenant’s events to these URLs, signed (Standard Webhooks), with retries.</p>
      <form class="inline card" onSubmit={submit}>
        <Field label="Endpoint URL" type="text" required placeholder="https://example.com/webhooks/herald" value={url} onInput={setUrl} />
        <Field label="Event names" placeholder="empty: every event but auth.*" value={types} onInput={setTypes} />
        <Field label="Description" value={description} onInput={setDescription} />
        <button type="submit" disabled={creating.pending}>
          Add endpoint
        </button>
      </form>
      <ErrorNote error={creating.error ?? list.error} />
      {secret && <Secret secret={secret} onDone={() => setSecret(null)} />}
      <Loading when={list.loading && !list.data} />
      {list.data && endpoints.length === 0 && <p>No endpoints yet.</p>}
      {endpoints.slice(0, shown).map((endpoint) => (
        <Endpoint
          key={endpoint.id}
          endpoint={endpoint}
          open={open === endpoint.id}
          onToggle={() => setOpen(open === endpoint.id ? null : endpoint.id)}
          onChange={list.reload}
          onSecret={setSecret}
        />
      ))}
      <MoreButton hasMore={endpoints.length > shown} loading={false} onClick={() => setShown(shown + PAGE)} />
    </section>
  );
}

function Endpoint(props: {
  endpoint: EndpointFieldsFragment;
  open: boolean;
  onToggle: () => void;
  onChange: () => Promise<void>;
  onSecret: (secret: string) => void;
}) {
  const { endpoint } = props;
  const [update, updating] = useMutation(UpdateWebhookEndpointDocument);
  const [remove, removing] = useMutation(DeleteWebhookEndpointDocument);
  const [rotate, rotating] = useMutation(RotateWebhookSecretDocument);
  const [test, testing] = useMutation(SendTestWebhookDocument);
  const [notice, setNotice] = useState<string | null>(null);
  const act = async (run: () => Promise<unknown>, done: string) => {
    setNotice(null);
    if (await run()) {
      setNotice(done);
      await props.onChange();
    }
  };
  return (
    <article class="card endpoint" aria-label={`Endpoint ${endpoint.url}`}>
      <div class="event-head">
        <code class="event-name">{endpoint.url}</code>
        <StatusBadge status={endpoint.enabled ? 'ENABLED' : 'DISABLED'} />
        {endpoint.description && <span>{endpoint.description}</span>}
      </div>
      <p class="muted">
        {endpoint.eventTypes.length ? `Events: ${endpoint.eventTypes.join(', ')}` : 'Every event of the tenant but auth.*'}
        {endpoint.disabledReason && ` · Disabled: ${endpoint.disabledReason}`}
      </p>
      <div class="row-actions">
        <button type="button" class="secondary" disabled={testing.pending} onClick={() => act(() => test({ id: endpoint.id }), 'A webhook.test message is on its way.')}>
          Send test
        </button>
        <button
          type="button"
          class="secondary"
          disabled={updating.pending}
          onClick={() => act(() => update({ id: endpoint.id, input: { enabled: !endpoint.enabled } }), endpoint.enabled ? 'Disabled.' : 'Enabled.')}
        >
          {endpoint.enabled ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          class="secondary"
          disabled={rotating.pending}
          onClick={async () => {
            const data = await rotate({ id: endpoint.id });
            if (data) props.onSecret(data.rotateWebhookSecret.secret);
          }}
        >
          Rotate secret
        </button>
        <button
          type="button"
          class="secondary danger"
          disabled={removing.pending}
          onClick={() => confirm(`Delete the endpoint ${endpoint.url}?`) && act(() => remove({ id: endpoint.id }), 'Deleted.')}
        >
          Delete
        </button>
        <button type="button" class="link" aria-expanded={props.open} onClick={props.onToggle}>
          {props.open ? 'Hide attempts' : 'Show attempts'}
        </button>
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorNote error={updating.error ?? removing.error ?? rotating.error ?? testing.error} />
      {props.open && <Attempts endpointId={endpoint.id} />}
    </article>
  );
}

/** An hour ago as a datetime-local value (local time, which the input shows and `new Date` reads back). */
function anHourAgoLocal(): string {
  const at = new Date(Date.now() - 3600_000);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function Attempts(props: { endpointId: string }) {
  const attempts = usePages(WebhookAttemptsDocument, { endpointId: props.endpointId, first: 20 }, (data) => data.webhookAttempts);
  const [retry, retrying] = useMutation(RetryWebhookMessageDocument);
  const [replay, replaying] = useMutation(ReplayWebhookMessagesDocument);
  const [since, setSince] = useState(anHourAgoLocal);
  const [notice, setNotice] = useState<string | null>(null);
  const onReplay = async (event: Event) => {
    event.preventDefault();
    const data = await replay({ endpointId: props.endpointId, since: new Date(since).toISOString() });
    if (data) {
      setNotice(`${data.replayWebhookMessages} message${data.replayWebhookMessages === 1 ? '' : 's'} queued again.`);
      await attempts.reload();
    }
  };
  return (
    <div class="attempts">
      <form class="inline" onSubmit={onReplay}>
        <div class="field">
          <label for={`since-${props.endpointId}`}>Send again what failed since</label>
          <input id={`since-${props.endpointId}`} type="datetime-local" required value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        </div>
        <button type="submit" class="secondary" disabled={replaying.pending}>
          Replay
        </button>
        <button type="button" class="secondary" onClick={attempts.reload}>
          Refresh
        </button>
      </form>
      {notice && <Notice>{notice}</Notice>}
      <ErrorNote error={attempts.error ?? retrying.error ?? replaying.error} />
      {!attempts.loading && attempts.nodes.length === 0 && <p class="muted">No attempts yet.</p>}
      {attempts.nodes.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col" class="num">Try</th>
              <th scope="col">Status</th>
              <th scope="col">Answer</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {attempts.nodes.map((attempt) => (
              <tr key={attempt.id}>
                <td>
                  <Time value={attempt.createdAt} />
                </td>
                <td>
                  <code>{attempt.eventName}</code>
                </td>
                <td class="num">{attempt.attempt}</td>
                <td>
                  <StatusBadge status={attempt.status} />
                </td>
                <td class="wrap">
                  {attempt.responseStatus != null && `HTTP ${attempt.responseStatus}`}
                  {attempt.durationMs != null && ` in ${attempt.durationMs} ms`}
                  {attempt.error && <span class="error-text"> {attempt.error}</span>}
                  {attempt.nextAttemptAt && (
                    <span class="muted">
                      {' '}
                      · next try <Time value={attempt.nextAttemptAt} />
                    </span>
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    disabled={retrying.pending}
                    onClick={async () => {
                      if (await retry({ endpointId: props.endpointId, eventId: attempt.eventId })) {
                        setNotice(`${attempt.eventName} is sent again.`);
                        await attempts.reload();
                      }
                    }}
                  >
                    Send again
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton hasMore={attempts.hasMore} loading={attempts.loading} onClick={attempts.loadMore} />
    </div>
  );
}
