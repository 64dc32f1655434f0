// Settings → Webhooks: the workspace's endpoints (add, event types, enable / disable, rotate the
// secret, send a test, delete) and each endpoint's deliveries with every attempt. Admin only.
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import {
  createWebhook,
  deleteWebhook,
  EVENT_TYPES,
  fetchDeliveries,
  fetchWebhooks,
  retryDelivery,
  rotateWebhookSecret,
  testWebhook,
  updateWebhook,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '../webhooks.api';
import { Async } from '../../../components/states';
import { formatTime } from '../../../lib/time';
import type { ApiError } from '../../../lib/types';

function ShownSecret(props: { value: string }): JSX.Element {
  return (
    <div class="alert" role="status">
      <p>
        <strong>Signing secret</strong> — shown once; copy it into your receiver now.
      </p>
      <p class="row gap">
        <code class="mono" data-testid="webhook-secret">
          {props.value}
        </code>
        <button type="button" onClick={() => navigator.clipboard?.writeText(props.value)}>
          Copy
        </button>
      </p>
    </div>
  );
}

function Problem(props: { error: ApiError | null }): JSX.Element {
  return (
    <Show when={props.error}>
      {(e) => (
        <p class="form-error" role="alert">
          {e().message} <code class="muted">({e().code})</code>
        </p>
      )}
    </Show>
  );
}

function TypePicker(props: {
  value: string[];
  onChange: (v: string[]) => void;
  name: string;
}): JSX.Element {
  const toggle = (t: string, on: boolean) =>
    props.onChange(on ? [...props.value, t] : props.value.filter((x) => x !== t));
  return (
    <fieldset class="row wrap gap">
      <legend>
        Event types <span class="muted small">(none checked: every type)</span>
      </legend>
      <For each={EVENT_TYPES}>
        {(t) => (
          <label class="row gap small">
            <input
              type="checkbox"
              name={`${props.name}-${t}`}
              checked={props.value.includes(t)}
              onChange={(e) => toggle(t, e.currentTarget.checked)}
            />
            {t}
          </label>
        )}
      </For>
    </fieldset>
  );
}

function stateBadge(d: WebhookDelivery): string {
  if (d.state === 'delivered') return 'delivered';
  if (d.state === 'failed') return 'failed';
  return d.attempts ? `retrying (${d.attempts} attempts)` : 'pending';
}

function Deliveries(props: { endpoint: WebhookEndpoint }): JSX.Element {
  const [cursor, setCursor] = createSignal<string | undefined>(undefined);
  // The source is '' for the first page: a resource with an undefined source never fetches.
  const [page, { refetch }] = createResource(
    () => cursor() ?? '',
    (c) => fetchDeliveries(props.endpoint.id, c || undefined),
  );
  const [error, setError] = createSignal<ApiError | null>(null);
  const retry = async (id: string) => {
    const r = await retryDelivery(props.endpoint.id, id);
    if (r.ok) {
      setError(null);
      refetch();
    } else setError(r.error);
  };
  return (
    <div class="stack" data-testid="webhook-deliveries">
      <div class="row gap">
        <h4 class="grow">Deliveries</h4>
        <button type="button" onClick={() => refetch()}>
          Refresh
        </button>
      </div>
      <Async data={page()} retry={refetch}>
        {(p) => (
          <Show when={p.deliveries.length} fallback={<p class="muted">No deliveries yet.</p>}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Type</th>
                  <th scope="col">State</th>
                  <th scope="col">Last status</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Next retry</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={p.deliveries}>
                  {(d) => (
                    <tr data-testid="webhook-delivery">
                      <td>{formatTime(d.createdAt)}</td>
                      <td class="mono">{d.type}</td>
                      <td>
                        <span class={`badge ${d.state === 'failed' ? 'danger' : ''}`}>
                          {stateBadge(d)}
                        </span>
                      </td>
                      <td>{d.lastStatus ?? (d.lastError || '—')}</td>
                      <td>{d.lastLatencyMs !== null ? `${d.lastLatencyMs} ms` : '—'}</td>
                      <td>{d.nextRetryAt ? formatTime(d.nextRetryAt) : '—'}</td>
                      <td>
                        <details>
                          <summary>Attempts</summary>
                          <ol class="small">
                            <For each={d.attemptLog}>
                              {(a) => (
                                <li>
                                  {formatTime(a.at)}: {a.status ?? a.error} in {a.latencyMs} ms
                                  <Show when={a.response}>
                                    {' '}
                                    — <code class="mono">{a.response.slice(0, 200)}</code>
                                  </Show>
                                </li>
                              )}
                            </For>
                          </ol>
                        </details>
                        <Show when={d.state !== 'delivered'}>
                          <button type="button" class="link" onClick={() => retry(d.id)}>
                            Retry now
                          </button>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <Show when={p.next}>
              {(n) => (
                <button type="button" onClick={() => setCursor(n())}>
                  Older deliveries
                </button>
              )}
            </Show>
          </Show>
        )}
      </Async>
      <Problem error={error()} />
    </div>
  );
}

/// What the list remembers per endpoint across its refetches (each one renders the list anew): the
/// secret just shown, the last note, whether the deliveries are open.
interface EndpointUi {
  secret: (id: string) => string | null;
  setSecret: (id: string, s: string | null) => void;
  note: (id: string) => string;
  setNote: (id: string, n: string) => void;
  open: (id: string) => boolean;
  setOpen: (id: string, o: boolean) => void;
}

function endpointUi(): EndpointUi {
  const [secrets, setSecrets] = createSignal<Record<string, string | null>>({});
  const [notes, setNotes] = createSignal<Record<string, string>>({});
  const [opens, setOpens] = createSignal<Record<string, boolean>>({});
  return {
    secret: (id) => secrets()[id] ?? null,
    setSecret: (id, v) => setSecrets({ ...secrets(), [id]: v }),
    note: (id) => notes()[id] ?? '',
    setNote: (id, v) => setNotes({ ...notes(), [id]: v }),
    open: (id) => opens()[id] ?? false,
    setOpen: (id, v) => setOpens({ ...opens(), [id]: v }),
  };
}

function Endpoint(props: {
  endpoint: WebhookEndpoint;
  changed: () => void;
  ui: EndpointUi;
}): JSX.Element {
  const [types, setTypes] = createSignal<string[]>(props.endpoint.eventTypes);
  const id = props.endpoint.id;
  const secret = () => props.ui.secret(id);
  const setSecret = (v: string | null) => props.ui.setSecret(id, v);
  const note = () => props.ui.note(id);
  const setNote = (v: string) => props.ui.setNote(id, v);
  const open = () => props.ui.open(id);
  const setOpen = (v: boolean) => props.ui.setOpen(id, v);
  const [error, setError] = createSignal<ApiError | null>(null);
  const done = <T,>(
    r: { ok: true; value: T } | { ok: false; error: ApiError },
    after?: (v: T) => void,
  ) => {
    if (r.ok) {
      setError(null);
      after?.(r.value);
      props.changed();
    } else setError(r.error);
  };
  const e = () => props.endpoint;
  return (
    <li class="card stack" data-testid="webhook">
      <div class="row wrap gap">
        <strong class="mono grow">{e().url}</strong>
        <span class={`badge ${e().enabled ? '' : 'danger'}`}>
          {e().enabled ? 'enabled' : 'disabled'}
        </span>
      </div>
      <Show when={e().description}>
        <p class="muted">{e().description}</p>
      </Show>
      <Show when={e().disabledReason}>
        {(r) => (
          <p class="form-error" role="alert">
            Disabled by SESami: {r()}
          </p>
        )}
      </Show>
      <Show when={e().failingSince && e().enabled}>
        <p class="form-error">Failing since {formatTime(e().failingSince!)}.</p>
      </Show>
      <TypePicker name={`types-${e().id}`} value={types()} onChange={setTypes} />
      <div class="row wrap gap">
        <button
          type="button"
          onClick={async () =>
            done(await updateWebhook(e().id, { eventTypes: types() }), () =>
              setNote('Event types saved.'),
            )
          }
        >
          Save types
        </button>
        <button
          type="button"
          onClick={async () => done(await updateWebhook(e().id, { enabled: !e().enabled }))}
        >
          {e().enabled ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          onClick={async () =>
            done(await testWebhook(e().id), () => setNote('Test message queued.'))
          }
          disabled={!e().enabled}
        >
          Send test
        </button>
        <button
          type="button"
          onClick={async () =>
            done(await rotateWebhookSecret(e().id), (v) => setSecret(v.secret ?? null))
          }
        >
          Rotate secret
        </button>
        <button type="button" onClick={() => setOpen(!open())} aria-expanded={open()}>
          {open() ? 'Hide deliveries' : 'Deliveries'}
        </button>
        <button
          type="button"
          class="link danger"
          onClick={async () => done(await deleteWebhook(e().id))}
          aria-label={`Delete webhook ${e().url}`}
        >
          Delete
        </button>
      </div>
      <span class="small muted" role="status">
        {note()}
      </span>
      <Show when={e().previousSecretExpiresAt && !secret()}>
        <p class="small muted">
          The previous secret still signs until {formatTime(e().previousSecretExpiresAt!)}.
        </p>
      </Show>
      <Show when={secret()}>{(s) => <ShownSecret value={s()} />}</Show>
      <Problem error={error()} />
      <Show when={open()}>
        <Deliveries endpoint={e()} />
      </Show>
    </li>
  );
}

export function WebhooksSection(): JSX.Element {
  const [hooks, { refetch }] = createResource(fetchWebhooks);
  const ui = endpointUi();
  const [url, setUrl] = createSignal('');
  const [description, setDescription] = createSignal('');
  const [types, setTypes] = createSignal<string[]>([]);
  const [secret, setSecret] = createSignal<string | null>(null);
  const [error, setError] = createSignal<ApiError | null>(null);
  const add = async (ev: Event) => {
    ev.preventDefault();
    const r = await createWebhook(url().trim(), types(), description().trim());
    if (r.ok) {
      setSecret(r.value.secret ?? null);
      setUrl('');
      setDescription('');
      setTypes([]);
      setError(null);
      refetch();
    } else setError(r.error);
  };
  return (
    <section class="card stack" aria-labelledby="webhooks-title" data-testid="webhooks">
      <h2 id="webhooks-title">Webhooks</h2>
      <p class="muted">
        Each stored event is POSTed to the endpoints that take its type, signed as Standard Webhooks
        (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>);
        retried for about 3 days. Order is not guaranteed.
      </p>
      <Async data={hooks()} retry={refetch}>
        {(h) => (
          <Show when={h.webhooks.length} fallback={<p class="muted">No endpoints yet.</p>}>
            <ul class="plain stack">
              <For each={h.webhooks}>
                {(w) => <Endpoint endpoint={w} changed={refetch} ui={ui} />}
              </For>
            </ul>
          </Show>
        )}
      </Async>
      <form class="stack" onSubmit={add}>
        <h3>Add an endpoint</h3>
        <div class="row wrap gap end">
          <label class="field grow">
            URL
            <input
              name="webhookUrl"
              type="url"
              required
              placeholder="https://hooks.example.com/ses"
              value={url()}
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
          </label>
          <label class="field grow">
            Description
            <input
              name="webhookDescription"
              value={description()}
              onInput={(e) => setDescription(e.currentTarget.value)}
            />
          </label>
        </div>
        <TypePicker name="new" value={types()} onChange={setTypes} />
        <div>
          <button type="submit">Add endpoint</button>
        </div>
      </form>
      <Show when={secret()}>{(s) => <ShownSecret value={s()} />}</Show>
      <Problem error={error()} />
    </section>
  );
}
