// Settings: the AWS connection and its check, where AWS delivers events, API keys, users.
// Admin-only sections are hidden from viewers (and the API refuses them anyway).
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { addUser, connectAwsAccount, createApiKey, deleteApiKey, fetchApiKeys, fetchAwsAccounts, fetchUsers,
  fetchWorkspace, rotateIngest, verifySts, type VerifyStsResult } from '../settings.api';
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

function AwsSection(): JSX.Element {
  const [busy, setBusy] = createSignal(false);
  const [answer, setAnswer] = createSignal<VerifyStsResult | null>(null);
  const [error, setError] = createSignal<ApiError | null>(null);
  const [accounts, { refetch }] = createResource(fetchAwsAccounts);
  const [account, setAccount] = createSignal('');
  const [accError, setAccError] = createSignal<ApiError | null>(null);
  const verify = async () => {
    setBusy(true); setAnswer(null); setError(null);
    const r = await verifySts();
    setBusy(false);
    if (r.ok) setAnswer(r.value); else setError(r.error);
  };
  const connect = async (e: Event) => {
    e.preventDefault();
    const r = await connectAwsAccount(account().trim());
    if (r.ok) { setAccount(''); setAccError(null); refetch(); } else setAccError(r.error);
  };
  return (
    <section class="card stack" aria-labelledby="aws-title">
      <h2 id="aws-title">AWS connection</h2>
      <p class="muted">SESami assumes an IAM role in your account (no static keys). Verify asks STS whether it can.</p>
      <div><button type="button" class="primary" onClick={verify} disabled={busy()} data-testid="verify-sts">{busy() ? 'Verifying…' : 'Verify connection'}</button></div>
      <div data-testid="verify-result">
        <Problem error={error()} />
        <Show when={answer()}>{(a) => (
          <dl class="kv"><For each={Object.entries(a())}>{([k, v]) => (<><dt>{k}</dt><dd class="mono">{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd></>)}</For></dl>
        )}</Show>
      </div>
      <h3>Connected AWS accounts (EventBridge)</h3>
      <Async data={accounts()} retry={refetch}>{(a) => (
        <Show when={a.accounts.length} fallback={<p class="muted">None yet.</p>}>
          <ul class="plain mono"><For each={a.accounts}>{(id) => <li>{id}</li>}</For></ul>
        </Show>
      )}</Async>
      <Show when={canAdmin(role())}>
        <form class="row gap end" onSubmit={connect}>
          <label class="field">AWS account id<input name="accountId" pattern="[0-9]{12}" required value={account()} onInput={(e) => setAccount(e.currentTarget.value)} /></label>
          <button type="submit">Connect</button>
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
      <Show when={canAdmin(role()) && session()}>
        <KeysSection />
        <UsersSection />
      </Show>
    </section>
  );
}
