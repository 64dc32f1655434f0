// Settings: the AWS connection (role, region, External ID) and its check, where AWS delivers
// events, API keys, users.
// Admin-only sections are hidden from viewers (and the API refuses them anyway).
import {
  createEffect,
  createResource,
  createSignal,
  For,
  on,
  onMount,
  Show,
  type JSX,
} from 'solid-js';
import {
  changeRole,
  ingestCredentials,
  type IngestCredentials,
  inviteUser,
  invitationLink,
  removeUser,
  connectAwsAccount,
  createApiKey,
  deleteApiKey,
  disconnectAws,
  fetchApiKeys,
  fetchAwsAccounts,
  fetchAwsSettings,
  fetchAwsTemplate,
  fetchUsers,
  fetchWorkspace,
  rotateIngest,
  saveAwsSettings,
  verifySts,
  type AwsSettings,
  type FilledTemplate,
  type KeyScope,
  type NewApiKey,
  type VerifyStsResult,
} from '../settings.api';
import {
  checkTemplateForm,
  connectionSteps,
  deploySteps,
  eventsVerdict,
  ingestUrlFor,
  STEP,
  type TemplateErrors,
  type TemplateForm,
  type VerifyStep,
} from '../onboarding';
import { fetchMessageEvents, sendMail } from '../../send/send.api';
import { newIdempotencyKey } from '../../send/idempotency';
import {
  awsErrorHint,
  checkAwsForm,
  formatVerify,
  MODES,
  roleAccount,
  SES_REGIONS,
  trustPolicyCondition,
  type AwsErrors,
  type AwsForm,
} from '../aws';
import { canAdmin, role, session } from '../../auth/session';
import { setPassword } from '../../auth/auth.api';
import { Async } from '../../../components/states';
import { WebhooksSection } from './webhooks';
import { RetentionControl } from './retention';
import { SourcesSection } from '../../health/components/sources';
import { formatTime } from '../../../lib/time';
import type { ApiError } from '../../../lib/types';
import type { Role } from '../../auth/auth.api';

function Secret(props: { label: string; value: string; testId?: string }): JSX.Element {
  return (
    <div class="alert" role="status">
      <p>
        <strong>{props.label}</strong> — shown once; copy it now.
      </p>
      <p class="row gap">
        <code class="mono" data-testid={props.testId ?? 'secret'}>
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

/// The External ID, with a copy button: clipboard access needs a secure context, so the fallback
/// selects the text for Ctrl+C.
function CopyField(props: { label: string; value: string; testid: string }): JSX.Element {
  let input!: HTMLInputElement;
  const [note, setNote] = createSignal('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setNote('Copied.');
    } catch {
      input.select();
      setNote('Selected: press Ctrl+C (or ⌘C) to copy.');
    }
  };
  return (
    <div class="field">
      <label for={`copy-${props.testid}`}>{props.label}</label>
      <div class="row gap">
        <input
          id={`copy-${props.testid}`}
          ref={input}
          class="mono grow"
          readonly
          value={props.value}
          data-testid={props.testid}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <span class="small muted" role="status">
        {note()}
      </span>
    </div>
  );
}

/// The ingest token of this page's last rotation (shown once): the API destination's URL needs it.
const [freshIngestToken, setFreshIngestToken] = createSignal<string | null>(null);

/// The CloudFormation template with this workspace's values, per delivery mode, and how to deploy
/// it (console upload or the AWS CLI): the same file `sesami connect` writes.
function TemplateSection(props: { settings: AwsSettings }): JSX.Element {
  const [form, setForm] = createSignal<TemplateForm>({
    mode: props.settings.mode ?? 'sqs',
    identities: '',
    sesamiAccountId: '',
    ingestUrl: '',
    eventBusArn: '',
  });
  const [errors, setErrors] = createSignal<TemplateErrors>({});
  const [problem, setProblem] = createSignal<ApiError | null>(null);
  const [filled, setFilled] = createSignal<FilledTemplate | null>(null);
  const [note, setNote] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  // A token rotated on this page fills the API destination's URL (https only: the template's rule).
  createEffect(
    on(freshIngestToken, (t) => {
      const url = ingestUrlFor(window.location.origin, t);
      if (url && !form().ingestUrl) setForm({ ...form(), ingestUrl: url });
    }),
  );
  const set = (k: keyof TemplateForm, v: string) => {
    setForm({ ...form(), [k]: v });
    setFilled(null);
    setNote('');
  };
  const get = async (e: Event) => {
    e.preventDefault();
    const c = checkTemplateForm(form());
    if (!c.ok) {
      setErrors(c.errors);
      return;
    }
    setErrors({});
    setProblem(null);
    setBusy(true);
    const r = await fetchAwsTemplate(c.input);
    setBusy(false);
    if (r.ok) setFilled(r.value);
    else setProblem(r.error);
  };
  const download = (t: FilledTemplate) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([t.template], { type: 'application/json' }));
    a.download = t.fileName;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };
  const copy = async (what: string, text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setNote(`${what} copied.`);
    } catch {
      setNote(`Copying needs a secure context (https): select the text and copy it.`);
    }
  };
  const field = (
    k: keyof TemplateForm,
    label: string,
    hint: string,
    extra: Record<string, string> = {},
  ) => (
    <div class="field">
      <label for={`tpl-${k}`}>{label}</label>
      <input
        id={`tpl-${k}`}
        name={k}
        class="mono"
        autocomplete="off"
        spellcheck={false}
        value={form()[k]}
        aria-describedby={`tpl-${k}-note`}
        aria-invalid={errors()[k] ? 'true' : undefined}
        onInput={(e) => set(k, e.currentTarget.value)}
        {...extra}
      />
      <span id={`tpl-${k}-note`} class={errors()[k] ? 'form-error small' : 'muted small'}>
        {errors()[k] ?? hint}
      </span>
    </div>
  );
  return (
    <details class="more stack" data-testid="aws-template" open={!props.settings.connected}>
      <summary>Connect with one CloudFormation stack</summary>
      <p class="small muted">
        One stack creates the role (trusting SESami only with this workspace's External ID), the
        configuration set with its event destination, and the path events take to SESami. See
        docs/connect-aws.md for what each permission is for.
      </p>
      <form class="stack" onSubmit={get} novalidate aria-label="CloudFormation template">
        <div class="grid2">
          <div class="field">
            <label for="tpl-mode">How events reach SESami</label>
            <select
              id="tpl-mode"
              name="mode"
              value={form().mode}
              onChange={(e) => set('mode', e.currentTarget.value)}
            >
              <For each={MODES}>{(m) => <option value={m.value}>{m.label}</option>}</For>
            </select>
            <span class="muted small">
              {form().mode === 'sqs'
                ? 'Default: works behind a firewall (SESami only calls out).'
                : form().mode === 'api-destination'
                  ? 'Needs a public https address for this SESami.'
                  : 'For a SESami running in AWS with the SESami-side stack.'}
            </span>
          </div>
          {field(
            'identities',
            'Sending identities',
            'Up to 5 domains or addresses verified in SES, separated by commas.',
            { placeholder: 'example.com, news@example.org' },
          )}
        </div>
        <div class="grid2">
          {field(
            'sesamiAccountId',
            "SESami's AWS account id",
            "Leave empty to use the server's (SESAMI_AWS_ACCOUNT_ID).",
            { placeholder: '999988887777', inputmode: 'numeric' },
          )}
          <Show when={form().mode === 'api-destination'}>
            {field(
              'ingestUrl',
              'Ingest URL',
              'https://<this SESami>/ingest/eventbridge/<ingest token> (rotate the token below to see it).',
            )}
          </Show>
          <Show when={form().mode === 'event-bus'}>
            {field(
              'eventBusArn',
              'SESami event bus ARN',
              "The SESami-side stack's EventBusArn output.",
            )}
          </Show>
        </div>
        <div class="row wrap gap">
          <button type="submit" disabled={busy()} data-testid="get-template">
            Get the template
          </button>
        </div>
        <Problem error={problem()} />
      </form>
      <Show when={filled()}>
        {(t) => (
          <div class="stack" data-testid="template-result" data-mode={t().mode}>
            <div class="row wrap gap">
              <button
                type="button"
                class="primary"
                onClick={() => download(t())}
                data-testid="download-template"
              >
                Download {t().fileName}
              </button>
              <button
                type="button"
                onClick={() => copy('The template', t().template)}
                data-testid="copy-template"
              >
                Copy the template
              </button>
              <span class="small muted" role="status">
                {note()}
              </span>
            </div>
            <Show when={t().missing.length}>
              <p class="alert small" data-testid="template-missing">
                Still to fill in when deploying: <strong>{t().missing.join(', ')}</strong>.
              </p>
            </Show>
            <h4>In the AWS console</h4>
            <ol class="small">
              <For each={deploySteps(t().mode, t().fileName)}>{(step) => <li>{step}</li>}</For>
            </ol>
            <h4>Or with the AWS CLI</h4>
            <Show when={t().mode === 'api-destination'}>
              <p class="small muted">
                Set <code>SESAMI_INGEST_SECRET</code> to the workspace's ingest secret first: it is
                never put in the file.
              </p>
            </Show>
            <pre class="code" data-testid="template-command">
              {t().command}
            </pre>
            <div>
              <button type="button" onClick={() => copy('The command', t().command)}>
                Copy the command
              </button>
            </div>
            <details class="more">
              <summary>
                The template ({t().template.length.toLocaleString('en-US')} characters)
              </summary>
              <pre class="code" data-testid="template-text">
                {t().template}
              </pre>
            </details>
          </div>
        )}
      </Show>
    </details>
  );
}

/// Verify: the checks of `sesami doctor`, in order, stopping at the first failure with its
/// precise message; with a From address, a test mail to the SES simulator and its events too.
function Verify(props: { settings: AwsSettings }): JSX.Element {
  const [busy, setBusy] = createSignal(false);
  const [steps, setSteps] = createSignal<VerifyStep[]>([]);
  const [answer, setAnswer] = createSignal<VerifyStsResult | null>(null);
  const [from, setFrom] = createSignal('');
  const verify = async () => {
    setBusy(true);
    setAnswer(null);
    setSteps([]);
    const s = props.settings;
    const r = await verifySts();
    const conn = connectionSteps(s, r, awsErrorHint);
    setSteps(conn.steps);
    if (r.ok) setAnswer(r.value);
    if (conn.failed) {
      setBusy(false);
      return;
    }
    const sender = from().trim();
    if (!sender) {
      setSteps([
        ...conn.steps,
        {
          name: STEP.send,
          status: 'skip',
          detail:
            'Give a From address (at a sending identity) to send a test mail and wait for its events.',
        },
      ]);
      setBusy(false);
      return;
    }
    const sent = await sendMail(
      {
        from: sender,
        to: ['success@simulator.amazonses.com'],
        subject: 'SESami verify',
        text: "A test message from SESami's Verify button; nothing to do.",
      },
      newIdempotencyKey(),
    );
    if (!sent.ok) {
      setSteps([
        ...conn.steps,
        {
          name: STEP.send,
          status: 'fail',
          detail: `${sent.error.message} (${sent.error.code})`,
          code: sent.error.code,
        },
      ]);
      setBusy(false);
      return;
    }
    if (sent.value.transport !== 'ses') {
      setSteps([
        ...conn.steps,
        {
          name: STEP.send,
          status: 'fail',
          detail: `The mail went through '${sent.value.transport}', not SES: the server did not use the saved connection.`,
        },
      ]);
      setBusy(false);
      return;
    }
    const sendStep: VerifyStep = {
      name: STEP.send,
      status: 'ok',
      detail: `messageId ${sent.value.messageId}`,
    };
    setSteps([...conn.steps, sendStep]);
    const started = Date.now();
    for (;;) {
      const ev = await fetchMessageEvents(sent.value.messageId);
      const types = ev.ok ? ev.value.events.map((e) => e.type) : [];
      const seconds = (Date.now() - started) / 1000;
      const verdict = eventsVerdict(types, seconds >= 60, seconds, s.mode, s.queueUrl);
      if (verdict) {
        setSteps([...conn.steps, sendStep, verdict]);
        break;
      }
      await new Promise((w) => setTimeout(w, 1000));
    }
    setBusy(false);
  };
  return (
    <div class="stack">
      <h3>Check the connection</h3>
      <div class="row wrap gap end">
        <label class="field">
          Test mail from (optional)
          <input
            name="verifyFrom"
            type="email"
            placeholder="noreply@example.com"
            value={from()}
            onInput={(e) => setFrom(e.currentTarget.value)}
          />
        </label>
        <button
          type="button"
          onClick={verify}
          disabled={busy()}
          aria-busy={busy()}
          data-testid="verify-sts"
        >
          {busy() ? 'Verifying…' : 'Verify connection'}
        </button>
      </div>
      <span class="small muted">
        Checks, in order: the saved connection, the role with the External ID, SES access, the
        configuration set and its event destination (a warning does not stop it); with a From
        address also a test mail to SES's simulator and its Send and Delivery events. Stops at the
        first failure.
      </span>
      <div data-testid="verify-result" aria-live="polite">
        <Show when={steps().length}>
          <ol class="plain stack" data-testid="verify-steps">
            <For each={steps()}>
              {(st) => (
                <li
                  data-status={st.status}
                  data-code={st.code}
                  class={
                    st.status === 'fail'
                      ? 'alert level-review'
                      : st.status === 'warn'
                        ? 'tone-warn'
                        : ''
                  }
                  role={st.status === 'fail' ? 'alert' : undefined}
                >
                  <strong>
                    {st.status === 'ok'
                      ? '✓'
                      : st.status === 'fail'
                        ? '✗'
                        : st.status === 'warn'
                          ? '!'
                          : '–'}{' '}
                    {st.name}
                  </strong>
                  <p class="small" style={{ 'white-space': 'pre-line' }}>
                    {st.detail}
                  </p>
                </li>
              )}
            </For>
          </ol>
        </Show>
        <Show when={answer()}>
          {(a) => (
            <dl class="kv">
              <For each={formatVerify(a())}>
                {(row) => (
                  <>
                    <dt>{row.label}</dt>
                    <dd data-key={row.key} class={row.tone ? `tone-${row.tone}` : ''}>
                      {row.value}
                    </dd>
                  </>
                )}
              </For>
            </dl>
          )}
        </Show>
      </div>
    </div>
  );
}

function AwsSection(): JSX.Element {
  const [settings, { refetch, mutate }] = createResource(fetchAwsSettings);
  const [form, setForm] = createSignal<AwsForm>({
    roleArn: '',
    region: '',
    configurationSet: '',
    queueUrl: '',
    mode: '',
  });
  const [errors, setErrors] = createSignal<AwsErrors>({});
  const [problem, setProblem] = createSignal<ApiError | null>(null);
  const [notice, setNotice] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const fill = (v: AwsSettings) =>
    setForm({
      roleArn: v.roleArn ?? '',
      region: v.region ?? '',
      configurationSet: v.configurationSet ?? '',
      queueUrl: v.queueUrl ?? '',
      mode: v.mode ?? '',
    });
  createEffect(
    on(settings, (r) => {
      if (r?.ok) fill(r.value);
    }),
  );
  const set = (k: keyof AwsForm, v: string) => {
    setForm({ ...form(), [k]: v });
    setNotice('');
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const c = checkAwsForm(form());
    if (!c.ok) {
      setErrors(c.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    setProblem(null);
    setNotice('');
    const r = await saveAwsSettings(c.input);
    setBusy(false);
    if (!r.ok) {
      setProblem(r.error);
      return;
    }
    mutate(r);
    setNotice('Saved. Verify the connection to check the role.');
  };
  const disconnect = async () => {
    if (
      !confirm(
        'Disconnect AWS? SESami stops using the role; mail sent from SESami goes to the simulator until you connect again.',
      )
    )
      return;
    setBusy(true);
    setProblem(null);
    setNotice('');
    const r = await disconnectAws();
    setBusy(false);
    if (!r.ok) {
      setProblem(r.error);
      return;
    }
    setNotice('Disconnected: mail now goes to the simulator.');
    refetch();
  };

  const note = (k: keyof AwsForm, hint: string) => (
    <span id={`aws-${k}-note`} class={errors()[k] ? 'form-error small' : 'muted small'}>
      {errors()[k] ?? hint}
    </span>
  );
  const attrs = (k: keyof AwsForm) => ({
    id: `aws-${k}`,
    name: k,
    'aria-describedby': `aws-${k}-note`,
    get 'aria-invalid'() {
      return errors()[k] ? ('true' as const) : undefined;
    },
    get value() {
      return form()[k];
    },
    onInput: (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      set(k, e.currentTarget.value),
  });

  return (
    <section class="card stack" aria-labelledby="aws-title" data-testid="aws-connection">
      <div class="row wrap gap">
        <h2 id="aws-title" class="grow">
          AWS connection
        </h2>
        <Show when={settings()} keyed>
          {(r) =>
            r.ok &&
            (r.value.connected ? (
              <span class="badge ok" data-testid="aws-status">
                Connected
              </span>
            ) : (
              <span class="badge" data-testid="aws-status">
                Not connected
              </span>
            ))
          }
        </Show>
      </div>
      <Async data={settings()} retry={refetch}>
        {(v) => (
          <>
            <Show when={!v.connected}>
              <div class="alert" data-testid="aws-simulator-note">
                <p>
                  <strong>
                    Not connected: mail sent from SESami goes to the built-in simulator.
                  </strong>{' '}
                  Nothing leaves this server; its events (Send, Delivery, Bounce, Complaint) arrive
                  like real ones. Connect a role below to send through Amazon SES.
                </p>
              </div>
            </Show>
            <p class="muted">
              SESami assumes an IAM role in your AWS account (no access keys are stored) to send
              with SES and read your account's suppression list.
            </p>
            <CopyField
              label="External ID (for the role's trust policy)"
              value={v.externalId}
              testid="external-id"
            />
            <p class="small muted">
              It goes in the role's trust policy, as the <code>sts:ExternalId</code> condition: AWS
              then lets SESami assume the role only on behalf of this workspace, so nobody else
              using SESami can point it at your account. SESami generates it and it cannot be
              changed. The CloudFormation templates (<code>deploy/templates/</code>, see
              docs/connect-aws.md) take it as their <code>ExternalId</code> parameter and create the
              role, the configuration set and the event path for you.
            </p>
            <details class="more">
              <summary>Trust policy condition</summary>
              <pre class="code">{trustPolicyCondition(v.externalId)}</pre>
            </details>

            <Show
              when={canAdmin(role())}
              fallback={
                <dl class="kv">
                  <dt>Role ARN</dt>
                  <dd class="mono">{v.roleArn ?? '—'}</dd>
                  <dt>Region</dt>
                  <dd>{v.region ?? '—'}</dd>
                  <dt>Configuration set</dt>
                  <dd>{v.configurationSet ?? '—'}</dd>
                  <dt>Events</dt>
                  <dd>{MODES.find((m) => m.value === v.mode)?.label ?? '—'}</dd>
                </dl>
              }
            >
              <TemplateSection settings={v} />
              <form class="stack" onSubmit={save} novalidate aria-label="AWS connection">
                <div class="field">
                  <label for="aws-roleArn">Role ARN</label>
                  <input
                    {...attrs('roleArn')}
                    class="mono"
                    placeholder="arn:aws:iam::123456789012:role/SESami"
                    autocomplete="off"
                    spellcheck={false}
                  />
                  {note('roleArn', 'The role SESami assumes.')}
                </div>
                <div class="grid2">
                  <div class="field">
                    <label for="aws-region">Region</label>
                    <input
                      {...attrs('region')}
                      list="ses-regions"
                      placeholder="eu-west-1"
                      autocomplete="off"
                    />
                    <datalist id="ses-regions">
                      <For each={SES_REGIONS}>{(r) => <option value={r} />}</For>
                    </datalist>
                    {note('region', 'Where your SES identities are verified.')}
                  </div>
                  <div class="field">
                    <label for="aws-configurationSet">Configuration set</label>
                    <input {...attrs('configurationSet')} placeholder="sesami" autocomplete="off" />
                    {note(
                      'configurationSet',
                      'Its event destination sends events to SESami; added to every mail.',
                    )}
                  </div>
                </div>
                <div class="grid2">
                  <div class="field">
                    <label for="aws-mode">How events reach SESami</label>
                    <select {...attrs('mode')}>
                      <option value="">Not set (SNS or EventBridge endpoints below)</option>
                      <For each={MODES}>{(m) => <option value={m.value}>{m.label}</option>}</For>
                    </select>
                    {note('mode', ' ')}
                  </div>
                  <div class="field">
                    <label for="aws-queueUrl">SQS queue URL</label>
                    <input
                      {...attrs('queueUrl')}
                      class="mono"
                      placeholder="https://sqs.eu-west-1.amazonaws.com/123456789012/ses-events"
                      autocomplete="off"
                    />
                    {note('queueUrl', 'Only for the SQS mode.')}
                  </div>
                </div>
                <div class="row wrap gap">
                  <button type="submit" class="primary" disabled={busy()}>
                    Save
                  </button>
                  <Show when={v.connected}>
                    <button type="button" class="danger" disabled={busy()} onClick={disconnect}>
                      Disconnect
                    </button>
                  </Show>
                </div>
                <Show when={notice()}>
                  <p class="notice" role="status">
                    {notice()}
                  </p>
                </Show>
                <Problem error={problem()} />
                <Show when={problem()}>
                  {(e) => (
                    <Show when={awsErrorHint(e())}>
                      <p class="small">{awsErrorHint(e())}</p>
                    </Show>
                  )}
                </Show>
              </form>
              <Verify settings={v} />
            </Show>
          </>
        )}
      </Async>
    </section>
  );
}

/// Source accounts: AWS accounts whose SNS topics and EventBridge events this workspace accepts
/// (plus, for SNS, the connected role's own account).
function SourceAccounts(): JSX.Element {
  const [accounts, { refetch }] = createResource(fetchAwsAccounts);
  const [aws] = createResource(fetchAwsSettings);
  const roleAcc = () => {
    const a = aws();
    return a?.ok ? roleAccount(a.value.roleArn) : null;
  };
  const [account, setAccount] = createSignal('');
  const [accError, setAccError] = createSignal<ApiError | null>(null);
  const connect = async (e: Event) => {
    e.preventDefault();
    const r = await connectAwsAccount(account().trim());
    if (r.ok) {
      setAccount('');
      setAccError(null);
      refetch();
    } else setAccError(r.error);
  };
  return (
    <section class="card stack" aria-labelledby="eb-title">
      <h2 id="eb-title">Source accounts</h2>
      <p class="muted">
        AWS accounts whose SES events this workspace accepts, through SNS topics (by the topic's
        account) and EventBridge (by the event's account). Anything from another account is refused.
      </p>
      <Show when={roleAcc()}>
        {(id) => (
          <p class="muted">
            The connected role's account <span class="mono">{id()}</span> is accepted for SNS as
            well.
          </p>
        )}
      </Show>
      <Async data={accounts()} retry={refetch}>
        {(a) => (
          <Show when={a.accounts.length} fallback={<p class="muted">None yet.</p>}>
            <ul class="plain mono">
              <For each={a.accounts}>{(id) => <li>{id}</li>}</For>
            </ul>
          </Show>
        )}
      </Async>
      <Show when={canAdmin(role())}>
        <form class="row wrap gap end" onSubmit={connect}>
          <label class="field">
            AWS account id
            <input
              name="accountId"
              pattern="[0-9]{12}"
              required
              value={account()}
              onInput={(e) => setAccount(e.currentTarget.value)}
            />
          </label>
          <button type="submit">Add account</button>
        </form>
        <Problem error={accError()} />
      </Show>
    </section>
  );
}

function IngestSection(): JSX.Element {
  const [secret, setSecret] = createSignal<IngestCredentials | null>(null);
  const [error, setError] = createSignal<ApiError | null>(null);
  const origin = () => window.location.origin;
  const token = () => secret()?.ingestToken ?? '<ingest token>';
  // Admins read the current pair again (a pair stored before SESami sealed it answers 404: rotate).
  onMount(async () => {
    if (role() !== 'owner' && role() !== 'admin') return;
    const r = await ingestCredentials();
    if (r.ok) {
      setSecret(r.value);
      setFreshIngestToken(r.value.ingestToken);
    }
  });
  const rotate = async () => {
    if (
      !confirm(
        'Rotate the ingestion token? The current SNS and EventBridge endpoints keep working for a grace period (24 hours by default), then stop: move your subscriptions and API destinations to the new ones.',
      )
    )
      return;
    const r = await rotateIngest();
    if (r.ok) {
      setSecret(r.value);
      setFreshIngestToken(r.value.ingestToken);
      setError(null);
    } else setError(r.error);
  };
  return (
    <section class="card stack" aria-labelledby="ingest-title">
      <h2 id="ingest-title">Ingestion endpoints</h2>
      <p class="muted">
        Point an SNS HTTPS subscription or an EventBridge API destination at these.
      </p>
      <dl class="kv">
        <dt>SNS (HTTPS)</dt>
        <dd class="mono">
          {origin()}/ingest/sns/{token()}
        </dd>
        <dt>EventBridge</dt>
        <dd class="mono">
          {origin()}/ingest/eventbridge/{token()}{' '}
          <span class="muted">(header X-Sesami-Secret)</span>
        </dd>
      </dl>
      <Show when={secret()}>
        {(s) => (
          <>
            <Secret label="Ingest token" value={s().ingestToken} />
            <Secret label="EventBridge secret" value={s().ingestSecret} />
          </>
        )}
      </Show>
      <Show when={secret()?.previousValidUntil}>
        {(until) => (
          <p class="small muted">
            The previous token and secret keep working until {new Date(until()).toLocaleString()}.
          </p>
        )}
      </Show>
      <Show when={role() === 'owner'}>
        <div>
          <button type="button" class="danger" onClick={rotate}>
            Rotate token
          </button>
        </div>
      </Show>
      <Problem error={error()} />
    </section>
  );
}

function KeysSection(): JSX.Element {
  const [keys, { refetch }] = createResource(fetchApiKeys);
  const [name, setName] = createSignal('');
  const [keyRole, setKeyRole] = createSignal<Role>('viewer');
  const [scope, setScope] = createSignal<KeyScope>('admin');
  const [expires, setExpires] = createSignal(''); // yyyy-mm-dd, empty: never
  const [created, setCreated] = createSignal<NewApiKey | null>(null);
  const [error, setError] = createSignal<ApiError | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    const until = expires() ? new Date(`${expires()}T00:00:00Z`).toISOString() : null;
    const r = await createApiKey(name().trim(), keyRole(), scope(), until);
    if (r.ok) {
      setCreated(r.value);
      setName('');
      setExpires('');
      setError(null);
      refetch();
    } else setError(r.error);
  };
  const revoke = async (id: string) => {
    const r = await deleteApiKey(id);
    if (r.ok) refetch();
    else setError(r.error);
  };
  return (
    <section class="card stack" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p class="muted">
        For programs: <code>Authorization: Bearer &lt;key&gt;</code>, or the access key pair with an
        AWS SDK pointed at this server (the SES API). Bearer keys are stored hashed, secret access
        keys sealed with the server key. A <em>send</em> key sends and reads its attempts;{' '}
        <em>read</em> reads; <em>admin</em> does all its role allows.
      </p>
      <Async data={keys()} retry={refetch}>
        {(k) => (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Role</th>
                <th scope="col">Access key id</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={k.keys}>
                {(x) => (
                  <tr>
                    <td>{x.name || <span class="muted">(unnamed)</span>}</td>
                    <td>{x.scope}</td>
                    <td>{x.role}</td>
                    <td>
                      {x.accessKeyId ? (
                        <code class="mono">{x.accessKeyId}</code>
                      ) : (
                        <span class="muted">none (older key)</span>
                      )}
                    </td>
                    <td>{formatTime(x.createdAt)}</td>
                    <td>
                      {x.expiresAt ? formatTime(x.expiresAt) : <span class="muted">never</span>}
                    </td>
                    <td>
                      {x.lastUsedAt ? formatTime(x.lastUsedAt) : <span class="muted">never</span>}
                    </td>
                    <td>
                      <Show
                        when={!x.revokedAt}
                        fallback={<span class="badge">revoked {formatTime(x.revokedAt!)}</span>}
                      >
                        <button
                          type="button"
                          class="link danger"
                          onClick={() => revoke(x.id)}
                          aria-label={`Revoke key ${x.name || x.id}`}
                        >
                          Revoke
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        )}
      </Async>
      <form class="row wrap gap end" onSubmit={create}>
        <label class="field">
          Name
          <input name="keyName" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="field">
          Scope
          <select value={scope()} onChange={(e) => setScope(e.currentTarget.value as KeyScope)}>
            <option value="admin">admin</option>
            <option value="send">send</option>
            <option value="read">read</option>
          </select>
        </label>
        <label class="field">
          Role
          <select value={keyRole()} onChange={(e) => setKeyRole(e.currentTarget.value as Role)}>
            <option value="viewer">viewer</option>
            <option value="admin">admin</option>
            <option value="owner">owner</option>
          </select>
        </label>
        <label class="field">
          Expires
          <input
            type="date"
            name="keyExpires"
            value={expires()}
            onInput={(e) => setExpires(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Create key</button>
      </form>
      <Show when={created()}>
        {(k) => (
          <>
            <Secret label="New API key" value={k().key} />
            <Show when={k().accessKeyId && k().secretAccessKey}>
              <Secret
                label="Access key id (SES API)"
                value={k().accessKeyId!}
                testId="access-key-id"
              />
              <Secret
                label="Secret access key (SES API)"
                value={k().secretAccessKey!}
                testId="secret-access-key"
              />
            </Show>
          </>
        )}
      </Show>
      <Problem error={error()} />
    </section>
  );
}

function UsersSection(): JSX.Element {
  const [users, { refetch }] = createResource(fetchUsers);
  const [email, setEmail] = createSignal('');
  const [userRole, setUserRole] = createSignal<Role>('viewer');
  const [link, setLink] = createSignal<string | null>(null);
  const [error, setError] = createSignal<ApiError | null>(null);
  // Adding someone is an invitation (the same answer whether or not the email has an account):
  // they open the link, and choose a password or confirm the one of their account.
  const invite = async (e: Event) => {
    e.preventDefault();
    const r = await inviteUser(email().trim(), userRole());
    if (r.ok) {
      setEmail('');
      setError(null);
      setLink(invitationLink(r.value.token));
      refetch();
    } else setError(r.error);
  };
  const revoke = async (id: string) => {
    const r = await removeUser(id);
    if (r.ok) {
      setError(null);
      refetch();
    } else setError(r.error);
  };
  // Members: the API's rules hold (only an owner grants or revokes owner, the last owner stays).
  const setRole = async (id: string, next: Role) => {
    const r = await changeRole(id, next);
    if (r.ok) setError(null);
    else setError(r.error);
    refetch();
  };
  const remove = async (id: string, who: string) => {
    if (!confirm(`Remove ${who} from this workspace?`)) return;
    await revoke(id);
  };
  return (
    <section class="card stack" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <Async data={users()} retry={refetch}>
        {(u) => (
          <ul class="plain">
            <For each={u.users}>
              {(x) => (
                <li data-testid="member">
                  {x.email ?? x.id}{' '}
                  <Show
                    when={x.status === 'invited'}
                    fallback={
                      <>
                        <select
                          aria-label={`Role of ${x.email ?? x.id}`}
                          value={x.role}
                          onChange={(e) => setRole(x.id, e.currentTarget.value as Role)}
                        >
                          <option value="viewer">viewer</option>
                          <option value="admin">admin</option>
                          <option value="owner">owner</option>
                        </select>{' '}
                        <Show when={x.id !== session()?.userId}>
                          <button
                            type="button"
                            class="link"
                            onClick={() => remove(x.id, x.email ?? x.id)}
                          >
                            Remove
                          </button>
                        </Show>
                      </>
                    }
                  >
                    <span class="badge">{x.role}</span> <span class="badge">invited</span>
                    <button type="button" class="link" onClick={() => revoke(x.id)}>
                      Revoke
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ul>
        )}
      </Async>
      <form class="row wrap gap end" onSubmit={invite}>
        <label class="field">
          Email
          <input
            type="email"
            name="userEmail"
            required
            value={email()}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          Role
          <select value={userRole()} onChange={(e) => setUserRole(e.currentTarget.value as Role)}>
            <option value="viewer">viewer</option>
            <option value="admin">admin</option>
            <option value="owner">owner</option>
          </select>
        </label>
        <button type="submit">Invite</button>
      </form>
      <Show when={link()}>
        {(l) => (
          <Secret label="Invitation link (valid 7 days; send it to the person)" value={l()} />
        )}
      </Show>
      <Problem error={error()} />
    </section>
  );
}

/// The signed-in person's own password (POST /auth/password: the current one proves it is them;
/// every other session of theirs ends).
function PasswordSection(): JSX.Element {
  const [current, setCurrent] = createSignal('');
  const [next, setNext] = createSignal('');
  const [done, setDone] = createSignal(false);
  const [error, setError] = createSignal<ApiError | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await setPassword(current(), next());
    if (r.ok) {
      setCurrent('');
      setNext('');
      setError(null);
      setDone(true);
    } else {
      setDone(false);
      setError(r.error);
    }
  };
  return (
    <section class="card stack" aria-labelledby="password-title">
      <h2 id="password-title">Your password</h2>
      <form class="row wrap gap end" onSubmit={submit}>
        <label class="field">
          Current password
          <input
            type="password"
            name="currentPassword"
            autocomplete="current-password"
            required
            value={current()}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          New password
          <input
            type="password"
            name="newPassword"
            autocomplete="new-password"
            required
            minLength={8}
            value={next()}
            onInput={(e) => setNext(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Change password</button>
      </form>
      <Show when={done()}>
        <p class="small muted" role="status">
          Password changed. Your other sessions were signed out.
        </p>
      </Show>
      <Problem error={error()} />
    </section>
  );
}

export function SettingsPage(): JSX.Element {
  const [ws, { refetch }] = createResource(fetchWorkspace);
  return (
    <section class="page" aria-labelledby="settings-title">
      <header class="page-head">
        <h1 id="settings-title">Settings</h1>
      </header>
      <section class="card stack" aria-labelledby="ws-title">
        <h2 id="ws-title">Workspace</h2>
        <Async data={ws()} retry={refetch}>
          {(w) => (
            <dl class="kv">
              <dt>Name</dt>
              <dd>
                {w.name} <span class="muted mono">({w.id})</span>
              </dd>
              <dt>Your role</dt>
              <dd>{w.role}</dd>
              <dt>Retention</dt>
              <dd>
                <RetentionControl workspace={w} canChange={canAdmin(role())} />
              </dd>
              <dt>Created</dt>
              <dd>{formatTime(w.createdAt)}</dd>
            </dl>
          )}
        </Async>
      </section>
      <AwsSection />
      <IngestSection />
      <SourceAccounts />
      <SourcesSection />
      <Show when={canAdmin(role()) && session()}>
        <KeysSection />
        <WebhooksSection />
        <UsersSection />
      </Show>
      <PasswordSection />
    </section>
  );
}
