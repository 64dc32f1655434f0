// Send a mail (the built-in simulator when no AWS connection is saved), watch its events arrive,
// and the recent send attempts with their outcome.
import { createResource, createSignal, For, onCleanup, Show, type JSX } from 'solid-js';
import {
  fetchAttempts,
  fetchMessageEvents,
  sendMail,
  type MailAttempt,
  type SendResult,
  type Suppressed,
} from '../send.api';
import { fetchAwsSettings } from '../../settings/settings.api';
import { fetchTemplates } from '../../templates/templates.api';
import { awsErrorHint } from '../../settings/aws';
import {
  checkCompose,
  SIMULATOR_PRESETS,
  type ComposeErrors,
  type ComposeField,
  type ComposeForm,
} from '../compose';
import { ComposeKey, outcomeOf } from '../idempotency';
import { POLL_MS, progress, sortEvents, watchPhase, type WatchPhase } from '../watch';
import { canAdmin, role } from '../../auth/session';
import { Timeline } from '../../../components/timeline';
import { Async, Empty } from '../../../components/states';
import { TYPE_LABELS } from '../../../lib/event-text';
import { href } from '../../../lib/router';
import { formatTime } from '../../../lib/time';
import type { ApiError, SesEvent } from '../../../lib/types';

const stored = (k: string) => {
  try {
    return localStorage.getItem(k) ?? '';
  } catch {
    return '';
  }
};
const store = (k: string, v: string) => {
  try {
    localStorage.setItem(k, v);
  } catch {
    /* storage disabled */
  }
};

/// Where mail goes: SES in the customer's account, or the simulator. Said before anyone sends.
function TransportBanner(): JSX.Element {
  const [aws] = createResource(fetchAwsSettings);
  return (
    <Show when={aws()}>
      {(r) => {
        const v = r();
        if (!v.ok)
          return (
            <p class="muted small" data-testid="transport">
              Could not read the AWS connection ({v.error.message}).
            </p>
          );
        return v.value.connected ? (
          <p class="card small" data-testid="transport" data-transport="ses">
            Sending through <strong>Amazon SES</strong> in {v.value.region} as{' '}
            <span class="mono">{v.value.roleArn}</span>: mail to real addresses is delivered.
          </p>
        ) : (
          <div class="alert" data-testid="transport" data-transport="simulator">
            <p>
              <strong>Not connected to AWS: mail goes to SESami's built-in simulator.</strong>{' '}
              Nothing leaves this server. The simulator answers like SES's mailbox simulator
              (success@, bounce@, ooto@, complaint@, suppressionlist@simulator.amazonses.com; any
              other address is delivered), and its events arrive like real ones.
            </p>
            <p>
              <a href={href('/settings')}>Connect your AWS account in Settings</a> to send for real.
            </p>
          </div>
        );
      }}
    </Show>
  );
}

function SuppressedList(props: { items: (Suppressed | string)[] }): JSX.Element {
  return (
    <ul class="plain small">
      <For each={props.items}>
        {(s) =>
          typeof s === 'string' ? (
            <li>
              <a href={href(`/recipients/${encodeURIComponent(s)}`)}>{s}</a>
            </li>
          ) : (
            <li>
              <a href={href(`/recipients/${encodeURIComponent(s.address)}`)}>{s.address}</a>{' '}
              <span class="muted">— {s.reason}</span>
            </li>
          )
        }
      </For>
    </ul>
  );
}

function SendError(props: { error: ApiError }): JSX.Element {
  const suppressed = () =>
    Array.isArray(props.error.details?.suppressed)
      ? (props.error.details!.suppressed as Suppressed[])
      : [];
  const hint = () => {
    const e = props.error;
    if (e.code === 'mail.all_suppressed')
      return 'Nothing was sent: every recipient is on the suppression list.';
    if (e.code === 'template.missing_data')
      return 'Nothing was sent: give the template the variables it prints (see its preview on the Templates page).';
    if (e.code === 'template.not_found')
      return 'Nothing was sent: no template has that name (Templates page).';
    if (e.code === 'mail.throttled')
      return 'SES is throttling this account; nothing was sent and the attempt is recorded as failed. Send again in a moment.';
    if (e.status === 0)
      return 'The answer was lost: the mail may or may not have gone out. Sending again is safe: the same Idempotency-Key gets the first answer instead of a second mail.';
    if (outcomeOf({ ok: false, error: e }) === 'unknown')
      return 'SES may or may not have taken this mail. Sending again gets this same answer; check the attempts below, then use New message to send it under a new Idempotency-Key.';
    return awsErrorHint(e);
  };
  return (
    <div
      class="alert level-review"
      role="alert"
      data-testid="send-error"
      data-code={props.error.code}
    >
      <p>
        <strong>Not sent.</strong> {props.error.message}{' '}
        <code class="muted">({props.error.code})</code>
      </p>
      <Show when={hint()}>
        <p class="small">{hint()}</p>
      </Show>
      <Show when={suppressed().length}>
        <SuppressedList items={suppressed()} />
      </Show>
    </div>
  );
}

const PHASE_TEXT: Record<WatchPhase, string> = {
  waiting: 'Waiting for the events (checking every second)…',
  settling: 'Outcome in; watching a few more seconds for a complaint…',
  done: 'All outcomes are in.',
  timeout:
    'No outcome after 2 minutes. SES publishes events only through a configuration set whose event destination points at SESami (Settings).',
};

/// The sent message, recipient by recipient (accepted → Send → outcome), then its full timeline.
function Watch(props: { result: SendResult; events: SesEvent[]; phase: WatchPhase }): JSX.Element {
  const lines = () => progress(props.result.sent, props.events);
  return (
    <section
      class="card stack"
      aria-labelledby="watch-title"
      data-testid="watch"
      data-phase={props.phase}
    >
      <h2 id="watch-title">Sent</h2>
      <p>
        Message{' '}
        <a
          class="mono"
          data-testid="sent-message-id"
          href={href(`/messages/${encodeURIComponent(props.result.messageId)}`)}
        >
          {props.result.messageId}
        </a>{' '}
        <span
          class={`badge ${props.result.transport === 'ses' ? 'ok' : ''}`}
          data-testid="sent-transport"
        >
          {props.result.transport === 'ses' ? 'Amazon SES' : 'simulator'}
        </span>
        <Show when={props.result.correlationId}>
          {' '}
          <span class="muted small">
            correlation id <span class="mono">{props.result.correlationId}</span>
          </span>
        </Show>
      </p>
      <Show when={props.result.suppressed?.length}>
        <div class="alert" role="status" data-testid="sent-suppressed">
          <p>
            <strong>
              Not sent to {props.result.suppressed.length} suppressed recipient
              {props.result.suppressed.length === 1 ? '' : 's'}:
            </strong>
          </p>
          <SuppressedList items={props.result.suppressed} />
        </div>
      </Show>
      <ul class="plain progress" aria-label="Progress per recipient">
        <For each={lines()}>
          {(l) => (
            <li data-recipient={l.recipient} data-outcome={l.outcome ?? ''}>
              <span class="mono small">{l.recipient}</span>
              <ol class="steps">
                <li class="done">Accepted</li>
                <li class={l.sent ? 'done' : 'pending'}>{l.sent ? 'Sent' : 'Send…'}</li>
                <li class={l.outcome ? `done t-${l.outcome}` : 'pending'}>
                  {l.outcome
                    ? `${TYPE_LABELS[l.outcome]}${l.detail ? ` (${l.detail})` : ''}`
                    : 'Delivery, bounce or complaint…'}
                </li>
              </ol>
            </li>
          )}
        </For>
      </ul>
      <p class="small muted" role="status" aria-live="polite">
        <Show when={props.phase === 'waiting' || props.phase === 'settling'}>
          <span class="spinner" aria-hidden="true" />
        </Show>
        {PHASE_TEXT[props.phase]}
      </p>
      <Show when={props.events.length}>
        <h3>Timeline</h3>
        <Timeline events={props.events} show="message" />
      </Show>
    </section>
  );
}

const STATUS_CLASS: Record<string, string> = {
  sent: 'ok',
  failed: 'danger',
  suppressed: 'warn',
  queued: '',
};

function Attempts(props: { version: number }): JSX.Element {
  const [extra, setExtra] = createSignal<MailAttempt[]>([]);
  const [next, setNext] = createSignal<string | null>(null);
  const [page, { refetch }] = createResource(
    () => props.version,
    async () => {
      const r = await fetchAttempts();
      setExtra([]);
      setNext(r.ok ? r.value.next : null);
      return r;
    },
  );
  const [more, setMore] = createSignal<ApiError | null>(null);
  const loadMore = async () => {
    const c = next();
    if (!c) return;
    const r = await fetchAttempts(c);
    if (!r.ok) {
      setMore(r.error);
      return;
    }
    setMore(null);
    setExtra([...extra(), ...r.value.attempts]);
    setNext(r.value.next);
  };
  return (
    <section class="card stack" aria-labelledby="attempts-title">
      <div class="row wrap gap">
        <h2 id="attempts-title" class="grow">
          Recent attempts
        </h2>
        <button type="button" onClick={() => refetch()}>
          Refresh
        </button>
      </div>
      <Async data={page()} retry={refetch}>
        {(p) => (
          <Show
            when={p.attempts.length}
            fallback={<Empty>No mail sent from this workspace yet.</Empty>}
          >
            <ul class="plain attempts" data-testid="attempts">
              <For each={[...p.attempts, ...extra()]}>
                {(a) => (
                  <li
                    class="attempt"
                    data-status={a.status}
                    data-message-id={a.messageId ?? ''}
                    data-attempt-id={a.id}
                  >
                    <div class="row wrap gap">
                      <span class={`badge ${STATUS_CLASS[a.status] ?? ''}`}>{a.status}</span>
                      <time class="small" datetime={a.createdAt}>
                        {formatTime(a.createdAt)}
                      </time>
                      <span class="small muted">
                        {a.transport === 'ses' ? 'Amazon SES' : a.transport}
                      </span>
                      <Show when={a.correlationId}>
                        <span class="small muted mono">{a.correlationId}</span>
                      </Show>
                    </div>
                    <div class="small">
                      <Show when={a.subject}>“{a.subject}” </Show>
                      <Show when={a.recipients.length}>to {a.recipients.join(', ')}</Show>
                    </div>
                    <Show when={a.messageId}>
                      <div class="small">
                        Message{' '}
                        <a
                          class="mono"
                          href={href(`/messages/${encodeURIComponent(a.messageId!)}`)}
                        >
                          {a.messageId}
                        </a>
                      </div>
                    </Show>
                    <Show when={a.error}>
                      {(e) => (
                        <div class="small form-error">
                          {e().message} <code>({e().code})</code>
                        </div>
                      )}
                    </Show>
                    <Show when={a.suppressed?.length}>
                      <div class="small">
                        Suppressed: <SuppressedList items={a.suppressed} />
                      </div>
                    </Show>
                  </li>
                )}
              </For>
            </ul>
            <Show when={next()}>
              <div>
                <button type="button" onClick={loadMore}>
                  Load more
                </button>
              </div>
            </Show>
            <Show when={more()}>
              {(e) => (
                <p class="form-error" role="alert">
                  {e().message}
                </p>
              )}
            </Show>
          </Show>
        )}
      </Async>
    </section>
  );
}

export function SendPage(): JSX.Element {
  const [form, setForm] = createSignal<ComposeForm>({
    from: stored('sesami-from'),
    to: SIMULATOR_PRESETS[0].address,
    cc: '',
    bcc: '',
    subject: 'SESami test',
    text: 'Hello from SESami.',
    html: '',
    tags: '',
    correlationId: '',
    template: '',
    templateData: '{}',
  });
  const [templates] = createResource(() => fetchTemplates());
  const templateNames = () => {
    const t = templates();
    return t && t.ok ? t.value.templates : [];
  };
  const [errors, setErrors] = createSignal<ComposeErrors>({});
  const [checked, setChecked] = createSignal(false); // show field errors once a send was tried
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<ApiError | null>(null);
  const [result, setResult] = createSignal<SendResult | null>(null);
  const [events, setEvents] = createSignal<SesEvent[]>([]);
  const [phase, setPhase] = createSignal<WatchPhase>('waiting');
  const [attemptsVersion, setAttemptsVersion] = createSignal(0);
  const key = new ComposeKey();

  // ---- watching the sent message's events ----
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let abort: AbortController | undefined;
  const stopWatching = () => {
    generation++;
    clearTimeout(timer);
    abort?.abort();
  };
  onCleanup(stopWatching);
  const watch = (r: SendResult) => {
    stopWatching();
    const mine = generation;
    const started = Date.now();
    let outcomesSince: number | null = null;
    const tick = async () => {
      abort = new AbortController();
      const got = await fetchMessageEvents(r.messageId, abort.signal);
      if (mine !== generation) return;
      if (got.ok) setEvents(sortEvents(got.value.events));
      const p = progress(r.sent, events());
      const now = Date.now();
      if (
        outcomesSince === null &&
        p.length &&
        p.every((x) => x.outcome !== null && x.outcome !== 'delivery_delay')
      )
        outcomesSince = now;
      const ph = watchPhase(p, now - started, outcomesSince, now);
      setPhase(ph);
      if (ph === 'waiting' || ph === 'settling') timer = setTimeout(tick, POLL_MS);
      else setAttemptsVersion((v) => v + 1);
    };
    if (r.sent.length) void tick();
    else setPhase('done');
  };

  const set = (f: ComposeField, v: string) => {
    const next = { ...form(), [f]: v };
    setForm(next);
    if (checked()) {
      const c = checkCompose(next);
      setErrors(c.ok ? {} : c.errors);
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setChecked(true);
    const c = checkCompose(form());
    if (!c.ok) {
      setErrors(c.errors);
      (
        document.querySelector(`[name="${Object.keys(c.errors)[0]}"]`) as HTMLElement | null
      )?.focus();
      return;
    }
    setErrors({});
    const k = key.begin(JSON.stringify(c.request));
    if (k === null) return; // this compose is already being sent: a double click sends nothing more
    setBusy(true);
    setError(null);
    store('sesami-from', c.request.from);
    const r = await sendMail(c.request, k);
    key.settle(outcomeOf(r));
    setBusy(false);
    setAttemptsVersion((v) => v + 1);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setResult(r.value);
    setEvents([]);
    setPhase('waiting');
    watch(r.value);
  };

  const newMessage = () => {
    stopWatching();
    key.reset();
    setResult(null);
    setError(null);
    setEvents([]);
  };

  /// A labelled input with its hint, replaced by the field's error once a send was tried.
  const Field = (p: {
    name: ComposeField;
    label: string;
    hint?: string;
    multiline?: boolean;
    rows?: number;
    type?: string;
    placeholder?: string;
    class?: string;
  }): JSX.Element => {
    const id = `compose-${p.name}`;
    const common = {
      id,
      name: p.name,
      placeholder: p.placeholder,
      class: p.class,
      get value() {
        return form()[p.name];
      },
      get 'aria-invalid'() {
        return errors()[p.name] ? ('true' as const) : undefined;
      },
      'aria-describedby': `${id}-note`,
      onInput: (e: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
        set(p.name, e.currentTarget.value),
    };
    return (
      <div class="field">
        <label for={id}>{p.label}</label>
        {p.multiline ? (
          <textarea {...common} rows={p.rows ?? 1} />
        ) : (
          <input {...common} type={p.type ?? 'text'} />
        )}
        <span id={`${id}-note`} class={errors()[p.name] ? 'form-error small' : 'muted small'}>
          {errors()[p.name] ?? p.hint ?? ''}
        </span>
      </div>
    );
  };

  return (
    <section class="page" aria-labelledby="send-title">
      <header class="page-head">
        <h1 id="send-title">Send</h1>
      </header>
      <TransportBanner />
      <div class="send-layout">
        <Show
          when={canAdmin(role())}
          fallback={
            <p class="card" data-testid="send-forbidden">
              Your role ({role()}) can see what was sent but not send: sending takes an admin.
            </p>
          }
        >
          <form class="card stack" onSubmit={submit} novalidate aria-labelledby="compose-title">
            <h2 id="compose-title">Compose</h2>
            <Field
              name="from"
              label="From"
              type="email"
              hint="A verified SES identity (any address works with the simulator)."
            />
            <Field
              name="to"
              label="To"
              multiline
              hint="Several: separate with commas or new lines."
            />
            <div class="row wrap gap presets" role="group" aria-label="Mailbox simulator addresses">
              <span class="small muted">Simulator:</span>
              <For each={SIMULATOR_PRESETS}>
                {(p) => (
                  <button
                    type="button"
                    class="chip"
                    title={`Produces: ${p.outcome}`}
                    aria-pressed={form().to.trim() === p.address}
                    onClick={() => set('to', p.address)}
                  >
                    {p.address.split('@')[0]}@
                  </button>
                )}
              </For>
            </div>
            <details class="more" open={Boolean(form().cc || form().bcc)}>
              <summary>Cc and Bcc</summary>
              <div class="grid2">
                <Field name="cc" label="Cc" />
                <Field name="bcc" label="Bcc" />
              </div>
            </details>
            <div class="field">
              <label for="compose-template">Content</label>
              <select
                id="compose-template"
                name="template"
                value={form().template}
                onChange={(e) => set('template', e.currentTarget.value)}
              >
                <option value="">Write it here</option>
                <For each={templateNames()}>
                  {(t) => <option value={t.name}>Template: {t.name}</option>}
                </For>
              </select>
              <span class="muted small">
                A stored template is rendered with SES's rules (
                <a href={href('/templates')}>Templates</a>).
              </span>
            </div>
            <Show
              when={form().template}
              fallback={
                <>
                  <Field name="subject" label="Subject" />
                  <div class="grid2">
                    <Field
                      name="text"
                      label="Text body"
                      multiline
                      rows={5}
                      hint="Text, HTML or both."
                    />
                    <Field name="html" label="HTML body" multiline rows={5} class="mono" />
                  </div>
                </>
              }
            >
              <Field
                name="templateData"
                label="Template data (JSON)"
                multiline
                rows={4}
                class="mono"
                hint="The template's variables: {&quot;name&quot;: &quot;Ann&quot;}."
              />
            </Show>
            <div class="grid2">
              <Field
                name="tags"
                label="Tags"
                placeholder="campaign=welcome, variant=b"
                hint="SES message tags, name=value: every event of the message carries them."
              />
              <Field
                name="correlationId"
                label="Correlation id"
                placeholder="order-1234"
                hint="Your own id, to find this send among the attempts."
              />
            </div>
            <div class="row wrap gap">
              <button type="submit" class="primary" disabled={busy()} aria-busy={busy()}>
                {busy() ? 'Sending…' : 'Send'}
              </button>
              <Show when={result() || error()}>
                <button type="button" onClick={newMessage}>
                  New message
                </button>
              </Show>
              <Show when={checked() && Object.keys(errors()).length}>
                <span class="form-error small" role="alert">
                  Fix the fields marked above.
                </span>
              </Show>
            </div>
            <Show when={error()}>{(er) => <SendError error={er()} />}</Show>
          </form>
        </Show>
        <div class="stack">
          <Show when={result()}>
            {(r) => <Watch result={r()} events={events()} phase={phase()} />}
          </Show>
          <Attempts version={attemptsVersion()} />
        </div>
      </div>
    </section>
  );
}
