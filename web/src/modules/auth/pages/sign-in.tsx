import { createResource, createSignal, Show, type JSX } from 'solid-js';
import { login, oidcErrorText, signInConfig } from '../auth.api';
import { setOneTimePassword, setSession } from '../session';
import { navigate } from '../../../lib/router';
import type { ApiError } from '../../../lib/types';

export function SignInPage(props: { next?: string }): JSX.Element {
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<ApiError | null>(null);
  const [config] = createResource(signInConfig);
  const oidc = () => {
    const c = config();
    return c?.ok ? c.value.oidc : null;
  };
  const passwords = () => {
    const c = config();
    return !c?.ok || c.value.passwordLogin;
  };
  // A refused sign-in through the provider comes back as /?signin_error=CODE.
  const oidcError = new URLSearchParams(window.location.search).get('signin_error');
  const next = () => {
    const n = (props.next ?? '/').replace(/[?&]signin_error=[^&]*/, '').replace(/^\/&/, '/?');
    return n && n !== '/sign-in' && !n.startsWith('/sign-in?') ? n : '/';
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const r = await login(email().trim(), password());
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setOneTimePassword(r.value.mustChangePassword ? password() : null);
    setSession(r.value);
    navigate(next());
  };

  return (
    <main class="sign-in">
      <form class="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          SESami
        </h1>
        <p class="muted">Sign in to your workspace.</p>
        <Show when={oidcError}>
          <p class="form-error" role="alert">
            {oidcErrorText(oidcError!)}
          </p>
        </Show>
        <Show when={oidc()}>
          {(o) => (
            <a
              class="button primary oidc-button"
              href={`${o().loginUrl}?return=${encodeURIComponent(next())}`}
            >
              Sign in with {o().name}
            </a>
          )}
        </Show>
        <Show when={passwords()}>
          <Show when={oidc()}>
            <p class="muted small or">or with your SESami password</p>
          </Show>
          <label>
            Email
            <input
              name="email"
              type="email"
              autocomplete="username"
              required
              value={email()}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autocomplete="current-password"
              required
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <Show when={error()}>
            {(e) => (
              <p class="form-error" role="alert">
                {e().status === 401 ? 'Wrong email or password.' : e().message}
              </p>
            )}
          </Show>
          <button type="submit" class="primary" disabled={busy()}>
            {busy() ? 'Signing in…' : 'Sign in'}
          </button>
        </Show>
        <Show when={passwords()}>
          <p class="muted small">
            The server's first start printed the sign-in: an email address and a one-time password.
            Lost it? <code>sesami user reset-password EMAIL</code> prints a new one.
          </p>
        </Show>
      </form>
    </main>
  );
}
