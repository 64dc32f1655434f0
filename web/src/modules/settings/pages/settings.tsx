// Settings: the AWS connection (role, region, External ID) and its check, where AWS delivers
// events, API keys, users.
// Admin-only sections are hidden from viewers (and the API refuses them anyway).
import { createEffect, createResource, createSignal, For, on, Show, type JSX } from 'solid-js';
import { addUser, connectAwsAccount, createApiKey, deleteApiKey, disconnectAws, fetchApiKeys, fetchAwsAccounts, fetchAwsSettings,
  fetchUsers, fetchWorkspace, rotateIngest, saveAwsSettings, verifySts, type AwsSettings, type VerifyStsResult } from '../settings.api';
import { awsErrorHint, checkAwsForm, formatVerify, MODES, SES_REGIONS, trustPolicyCondition, type AwsErrors, type AwsForm } from '../aws';
import { canAdmin, role, session } from '../../auth/session';
import { Async } from '../../../components/states';
import { formatTime } from '../../../lib/time';
import type { ApiError } from '../../../lib/types';
import type { Role } from '../../auth/auth.api';

function Secret(props: { label: string; value: string }): JSX.Element {
  return (
    <div class="alert" role="status">
      <p><strong>{props.label}</strong> — shown once; copy it now.</p>
      <p class="row gap"><code class="mono" data-testid="secret">{props.value}</code>
        <button type="button" onClick={() => navigator.clipboard?.writeText(props.value)}>Copy</button></p>
    </div>
  );
}

function Problem(props: { error: ApiError | null }): JSX.Element {
  return <Show when={props.error}>{(e) => <p class="form-error" role="alert">{e().message} <code class="muted">({e().code})</code></p>}</Show>;
}

/// The External ID, with a copy button: clipboard access needs a secure context, so the fallback
/// selects the text for Ctrl+C.
function CopyField(props: { label: string; value: string; testid: string }): JSX.Element {
  let input!: HTMLInputElement;
  const [note, setNote] = createSignal('');
  const copy = async () => {
    try { await navigator.clipboard.writeText(props.value); setNote('Copied.'); }
    catch { input.select(); setNote('Selected: press Ctrl+C (or ⌘C) to copy.'); }
  };
  return (
    <div class="field">
      <label for={`copy-${props.testid}`}>{props.label}</label>
      <div class="row gap">
        <input id={`copy-${props.testid}`} ref={input} class="mono grow" readonly value={props.value} data-testid={props.testid}
          onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy}>Copy</button>
      </div>
      <span class="small muted" role="status">{note()}</span>
    </div>
  );
}

/// Verify: /verify-sts's answer, or what to fix.
function Verify(): JSX.Element {
  const [busy, setBusy] = createSignal(false);
  const [answer, setAnswer] = createSignal<VerifyStsResult | null>(null);
  const [error, setError] = createSignal<ApiError | null>(null);
  const verify = async () => {
    setBusy(true); setAnswer(null); setError(null);
    const r = await verifySts();
    setBusy(false);
    if (r.ok) setAnswer(r.value); else setError(r.error);
  };
  return (
    <div class="stack">
      <h3>Check the connection</h3>
      <div class="row wrap gap">
        <button type="button" onClick={verify} disabled={busy()} aria-busy={busy()} data-testid="verify-sts">{busy() ? 'Verifying…' : 'Verify connection'}</button>
        <span class="small muted">Assumes the role through STS and asks SES about the account. Changes nothing.</span>
      </div>
      <div data-testid="verify-result" aria-live="polite">
        <Show when={error()}>{(e) => (
          <div class="alert level-review" role="alert" data-code={e().code}>
            <p><strong>The check failed.</strong> {e().message} <code class="muted">({e().code})</code></p>
            <Show when={awsErrorHint(e())}><p class="small">{awsErrorHint(e())}</p></Show>
          </div>
        )}</Show>
        <Show when={answer()}>{(a) => (
          <div class="stack">
            <p class="notice" role="status">SESami can act in this account.</p>
            <dl class="kv"><For each={formatVerify(a())}>{(row) => (
              <><dt>{row.label}</dt><dd data-key={row.key} class={row.tone ? `tone-${row.tone}` : ''}>{row.value}</dd></>
            )}</For></dl>
          </div>
        )}</Show>
      </div>
    </div>
  );
}

function AwsSection(): JSX.Element {
  const [settings, { refetch, mutate }] = createResource(fetchAwsSettings);
  const [form, setForm] = createSignal<AwsForm>({ roleArn: '', region: '', configurationSet: '', queueUrl: '', mode: '' });
  const [errors, setErrors] = createSignal<AwsErrors>({});
  const [problem, setProblem] = createSignal<ApiError | null>(null);
  const [notice, setNotice] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const fill = (v: AwsSettings) => setForm({ roleArn: v.roleArn ?? '', region: v.region ?? '', configurationSet: v.configurationSet ?? '',
    queueUrl: v.queueUrl ?? '', mode: v.mode ?? '' });
  createEffect(on(settings, (r) => { if (r?.ok) fill(r.value); }));
  const set = (k: keyof AwsForm, v: string) => { setForm({ ...form(), [k]: v }); setNotice(''); };

  const save = async (e: Event) => {
    e.preventDefault();
    const c = checkAwsForm(form());
    if (!c.ok) { setErrors(c.errors); return; }
    setErrors({}); setBusy(true); setProblem(null); setNotice('');
    const r = await saveAwsSettings(c.input);
    setBusy(false);
    if (!r.ok) { setProblem(r.error); return; }
    mutate(r); setNotice('Saved. Verify the connection to check the role.');
  };
  const disconnect = async () => {
    if (!confirm('Disconnect AWS? SESami stops using the role; mail sent from SESami goes to the simulator until you connect again.')) return;
    setBusy(true); setProblem(null); setNotice('');
    const r = await disconnectAws();
    setBusy(false);
    if (!r.ok) { setProblem(r.error); return; }
    setNotice('Disconnected: mail now goes to the simulator.');
    refetch();
  };

  const note = (k: keyof AwsForm, hint: string) => (
    <span id={`aws-${k}-note`} class={errors()[k] ? 'form-error small' : 'muted small'}>{errors()[k] ?? hint}</span>
  );
  const attrs = (k: keyof AwsForm) => ({
    id: `aws-${k}`, name: k, 'aria-describedby': `aws-${k}-note`,
    get 'aria-invalid'() { return errors()[k] ? 'true' as const : undefined; },
    get value() { return form()[k]; },
    onInput: (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => set(k, e.currentTarget.value),
  });

  return (
    <section class="card stack" aria-labelledby="aws-title" data-testid="aws-connection">
      <div class="row wrap gap">
        <h2 id="aws-title" class="grow">AWS connection</h2>
        <Show when={settings()} keyed>{(r) => r.ok && (r.value.connected
          ? <span class="badge ok" data-testid="aws-status">Connected</span>
          : <span class="badge" data-testid="aws-status">Not connected</span>)}</Show>
      </div>
      <Async data={settings()} retry={refetch}>{(v) => (
        <>
          <Show when={!v.connected}>
            <div class="alert" data-testid="aws-simulator-note">
              <p><strong>Not connected: mail sent from SESami goes to the built-in simulator.</strong> Nothing leaves this server; its events
                (Send, Delivery, Bounce, Complaint) arrive like real ones. Connect a role below to send through Amazon SES.</p>
            </div>
          </Show>
          <p class="muted">SESami assumes an IAM role in your AWS account (no access keys are stored) to send with SES and read your
            account's suppression list.</p>
          <CopyField label="External ID (for the role's trust policy)" value={v.externalId} testid="external-id" />
          <p class="small muted">It goes in the role's trust policy, as the <code>sts:ExternalId</code> condition: AWS then lets SESami
            assume the role only on behalf of this workspace, so nobody else using SESami can point it at your account. SESami generates
            it and it cannot be changed. The CloudFormation templates (<code>deploy/templates/</code>, see docs/connect-aws.md) take it
            as their <code>ExternalId</code> parameter and create the role, the configuration set and the event path for you.</p>
          <details class="more"><summary>Trust policy condition</summary><pre class="code">{trustPolicyCondition(v.externalId)}</pre></details>

          <Show when={canAdmin(role())} fallback={
            <dl class="kv">
              <dt>Role ARN</dt><dd class="mono">{v.roleArn ?? '—'}</dd><dt>Region</dt><dd>{v.region ?? '—'}</dd>
              <dt>Configuration set</dt><dd>{v.configurationSet ?? '—'}</dd><dt>Events</dt><dd>{MODES.find((m) => m.value === v.mode)?.label ?? '—'}</dd>
            </dl>}>
            <form class="stack" onSubmit={save} novalidate aria-label="AWS connection">
              <div class="field"><label for="aws-roleArn">Role ARN</label>
                <input {...attrs('roleArn')} class="mono" placeholder="arn:aws:iam::123456789012:role/SESami" autocomplete="off" spellcheck={false} />
                {note('roleArn', 'The role SESami assumes.')}</div>
              <div class="grid2">
                <div class="field"><label for="aws-region">Region</label>
                  <input {...attrs('region')} list="ses-regions" placeholder="eu-west-1" autocomplete="off" />
                  <datalist id="ses-regions"><For each={SES_REGIONS}>{(r) => <option value={r} />}</For></datalist>
                  {note('region', 'Where your SES identities are verified.')}</div>
                <div class="field"><label for="aws-configurationSet">Configuration set</label>
                  <input {...attrs('configurationSet')} placeholder="sesami" autocomplete="off" />
                  {note('configurationSet', 'Its event destination sends events to SESami; added to every mail.')}</div>
              </div>
              <div class="grid2">
                <div class="field"><label for="aws-mode">How events reach SESami</label>
                  <select {...attrs('mode')}>
                    <option value="">Not set (SNS or EventBridge endpoints below)</option>
                    <For each={MODES}>{(m) => <option value={m.value}>{m.label}</option>}</For>
                  </select>
                  {note('mode', ' ')}</div>
                <div class="field"><label for="aws-queueUrl">SQS queue URL</label>
                  <input {...attrs('queueUrl')} class="mono" placeholder="https://sqs.eu-west-1.amazonaws.com/123456789012/ses-events" autocomplete="off" />
                  {note('queueUrl', 'Only for the SQS mode.')}</div>
              </div>
              <div class="row wrap gap">
                <button type="submit" class="primary" disabled={busy()}>Save</button>
                <Show when={v.connected}><button type="button" class="danger" disabled={busy()} onClick={disconnect}>Disconnect</button></Show>
              </div>
              <Show when={notice()}><p class="notice" role="status">{notice()}</p></Show>
              <Problem error={problem()} />
              <Show when={problem()}>{(e) => <Show when={awsErrorHint(e())}><p class="small">{awsErrorHint(e())}</p></Show>}</Show>
            </form>
            <Verify />
          </Show>
        </>
      )}</Async>
    </section>
  );
}

/// AWS accounts whose EventBridge events this workspace accepts.
function EventBridgeAccounts(): JSX.Element {
  const [accounts, { refetch }] = createResource(fetchAwsAccounts);
  const [account, setAccount] = createSignal('');
  const [accError, setAccError] = createSignal<ApiError | null>(null);
  const connect = async (e: Event) => {
    e.preventDefault();
    const r = await connectAwsAccount(account().trim());
    if (r.ok) { setAccount(''); setAccError(null); refetch(); } else setAccError(r.error);
  };
  return (
    <section class="card stack" aria-labelledby="eb-title">
      <h2 id="eb-title">EventBridge source accounts</h2>
      <p class="muted">AWS accounts whose SES events this workspace accepts through EventBridge.</p>
      <Async data={accounts()} retry={refetch}>{(a) => (
        <Show when={a.accounts.length} fallback={<p class="muted">None yet.</p>}>
          <ul class="plain mono"><For each={a.accounts}>{(id) => <li>{id}</li>}</For></ul>
        </Show>
      )}</Async>
      <Show when={canAdmin(role())}>
        <form class="row wrap gap end" onSubmit={connect}>
          <label class="field">AWS account id<input name="accountId" pattern="[0-9]{12}" required value={account()} onInput={(e) => setAccount(e.currentTarget.value)} /></label>
          <button type="submit">Add account</button>
        </form>
        <Problem error={accError()} />
      </Show>
    </section>
  );
}

function IngestSection(): JSX.Element {
  const [secret, setSecret] = createSignal<{ ingestToken: string; ingestSecret: string } | null>(null);
  const [error, setError] = createSignal<ApiError | null>(null);
  const origin = () => window.location.origin;
  const token = () => secret()?.ingestToken ?? '<ingest token>';
  const rotate = async () => {
    if (!confirm('Rotate the ingestion token? The current SNS and EventBridge endpoints stop working at once.')) return;
    const r = await rotateIngest();
    if (r.ok) { setSecret(r.value); setError(null); } else setError(r.error);
  };
  return (
    <section class="card stack" aria-labelledby="ingest-title">
      <h2 id="ingest-title">Ingestion endpoints</h2>
      <p class="muted">Point an SNS HTTPS subscription or an EventBridge API destination at these.</p>
      <dl class="kv">
        <dt>SNS (HTTPS)</dt><dd class="mono">{origin()}/ingest/sns/{token()}</dd>
        <dt>EventBridge</dt><dd class="mono">{origin()}/ingest/eventbridge/{token()} <span class="muted">(header X-Sesami-Secret)</span></dd>
      </dl>
      <Show when={secret()}>{(s) => (<><Secret label="Ingest token" value={s().ingestToken} /><Secret label="EventBridge secret" value={s().ingestSecret} /></>)}</Show>
      <Show when={role() === 'owner'}><div><button type="button" class="danger" onClick={rotate}>Rotate token</button></div></Show>
      <Problem error={error()} />
    </section>
  );
}

function KeysSection(): JSX.Element {
  const [keys, { refetch }] = createResource(fetchApiKeys);
  const [name, setName] = createSignal('');
  const [keyRole, setKeyRole] = createSignal<Role>('viewer');
  const [created, setCreated] = createSignal<string | null>(null);
  const [error, setError] = createSignal<ApiError | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    const r = await createApiKey(name().trim(), keyRole());
    if (r.ok) { setCreated(r.value.key); setName(''); setError(null); refetch(); } else setError(r.error);
  };
  const remove = async (id: string) => {
    const r = await deleteApiKey(id);
    if (r.ok) refetch(); else setError(r.error);
  };
  return (
    <section class="card stack" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p class="muted">For programs: <code>Authorization: Bearer &lt;key&gt;</code>. Stored hashed.</p>
      <Async data={keys()} retry={refetch}>{(k) => (
        <table class="table"><thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody><For each={k.keys}>{(x) => (
            <tr><td>{x.name || <span class="muted">(unnamed)</span>}</td><td>{x.role}</td><td>{formatTime(x.createdAt)}</td>
              <td><button type="button" class="link danger" onClick={() => remove(x.id)} aria-label={`Delete key ${x.name || x.id}`}>Delete</button></td></tr>
          )}</For></tbody></table>
      )}</Async>
      <form class="row wrap gap end" onSubmit={create}>
        <label class="field">Name<input name="keyName" value={name()} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label class="field">Role<select value={keyRole()} onChange={(e) => setKeyRole(e.currentTarget.value as Role)}>
          <option value="viewer">viewer</option><option value="admin">admin</option><option value="owner">owner</option></select></label>
        <button type="submit">Create key</button>
      </form>
      <Show when={created()}>{(k) => <Secret label="New API key" value={k()} />}</Show>
      <Problem error={error()} />
    </section>
  );
}

function UsersSection(): JSX.Element {
  const [users, { refetch }] = createResource(fetchUsers);
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [userRole, setUserRole] = createSignal<Role>('viewer');
  const [error, setError] = createSignal<ApiError | null>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    const r = await addUser(email().trim(), password(), userRole());
    if (r.ok) { setEmail(''); setPassword(''); setError(null); refetch(); } else setError(r.error);
  };
  return (
    <section class="card stack" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <Async data={users()} retry={refetch}>{(u) => (
        <ul class="plain"><For each={u.users}>{(x) => <li>{x.email ?? x.id} <span class="badge">{x.role}</span></li>}</For></ul>
      )}</Async>
      <form class="row wrap gap end" onSubmit={add}>
        <label class="field">Email<input type="email" name="userEmail" required value={email()} onInput={(e) => setEmail(e.currentTarget.value)} /></label>
        <label class="field">Initial password<input type="password" name="userPassword" required minLength={12} autocomplete="new-password" value={password()} onInput={(e) => setPassword(e.currentTarget.value)} /></label>
        <label class="field">Role<select value={userRole()} onChange={(e) => setUserRole(e.currentTarget.value as Role)}>
          <option value="viewer">viewer</option><option value="admin">admin</option><option value="owner">owner</option></select></label>
        <button type="submit">Add user</button>
      </form>
      <Problem error={error()} />
    </section>
  );
}

export function SettingsPage(): JSX.Element {
  const [ws, { refetch }] = createResource(fetchWorkspace);
  return (
    <section class="page" aria-labelledby="settings-title">
      <header class="page-head"><h1 id="settings-title">Settings</h1></header>
      <section class="card stack" aria-labelledby="ws-title">
        <h2 id="ws-title">Workspace</h2>
        <Async data={ws()} retry={refetch}>{(w) => (
          <dl class="kv">
            <dt>Name</dt><dd>{w.name} <span class="muted mono">({w.id})</span></dd>
            <dt>Your role</dt><dd>{w.role}</dd>
            <dt>Retention</dt><dd>{w.retentionDays ? `${w.retentionDays} days of raw events` : 'forever'}</dd>
            <dt>Created</dt><dd>{formatTime(w.createdAt)}</dd>
          </dl>
        )}</Async>
      </section>
      <AwsSection />
      <IngestSection />
      <EventBridgeAccounts />
      <Show when={canAdmin(role()) && session()}>
        <KeysSection />
        <UsersSection />
      </Show>
    </section>
  );
}
