// "Set your password": after a sign-in with a one-time password (first start, `sesami user add`
// without --password, `sesami user reset-password`) this is the only page until a password of the
// person's own is set; the server refuses everything else meanwhile.
import { createSignal, Show, type JSX } from 'solid-js';
import { currentSession, logout, setPassword } from '../auth.api';
import { oneTimePassword, setOneTimePassword, setSession } from '../session';
import { navigate } from '../../../lib/router';
import type { ApiError } from '../../../lib/types';

export function SetPasswordPage(props: { email?: string; next?: string }): JSX.Element {
  const [known, setKnown] = createSignal(oneTimePassword());
  const [current, setCurrent] = createSignal(known() ?? '');
  const [next, setNext] = createSignal('');
  const [repeat, setRepeat] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [problem, setProblem] = createSignal<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    if (next().length < 8) {
      setProblem('A password needs 8 characters or more.');
      return;
    }
    if (next() !== repeat()) {
      setProblem('The two new passwords differ.');
      return;
    }
    if (next() === current()) {
      setProblem('Choose a new password, not the one-time one.');
      return;
    }
    setBusy(true);
    const r = await setPassword(current(), next());
    if (!r.ok) {
      setBusy(false);
      setProblem(message(r.error));
      if (r.error.code === 'auth.bad_credentials') {
        setKnown(null);
        setCurrent('');
      } // ask for it
      return;
    }
    setOneTimePassword(null);
    const s = await currentSession();
    setBusy(false);
    if (!s.ok) {
      setProblem(message(s.error));
      return;
    }
    setSession({ ...s.value, email: s.value.email ?? props.email });
    navigate(props.next && props.next !== '/sign-in' ? props.next : '/');
  };
  const signOut = async () => {
    await logout();
    setOneTimePassword(null);
    setSession(null);
    navigate('/sign-in');
  };

  return (
    <main class="sign-in">
      <form class="card" onSubmit={submit} aria-labelledby="set-password-title">
        <h1 id="set-password-title">Set your password</h1>
        <p class="muted">
          You signed in
          {props.email ? (
            <>
              {' '}
              as <strong>{props.email}</strong>
            </>
          ) : (
            ''
          )}{' '}
          with a one-time password. Choose a password of your own to continue.
        </p>
        <Show when={!known()}>
          <label>
            One-time password
            <input
              name="currentPassword"
              type="password"
              autocomplete="current-password"
              required
              value={current()}
              onInput={(e) => setCurrent(e.currentTarget.value)}
            />
          </label>
        </Show>
        {/* For password managers: which account this new password belongs to. */}
        <input
          type="email"
          name="username"
          autocomplete="username"
          value={props.email ?? ''}
          hidden
          readonly
        />
        <label>
          New password
          <input
            name="newPassword"
            type="password"
            autocomplete="new-password"
            required
            minlength="8"
            value={next()}
            onInput={(e) => setNext(e.currentTarget.value)}
          />
        </label>
        <label>
          Repeat the new password
          <input
            name="repeatPassword"
            type="password"
            autocomplete="new-password"
            required
            minlength="8"
            value={repeat()}
            onInput={(e) => setRepeat(e.currentTarget.value)}
          />
        </label>
        <Show when={problem()}>
          {(p) => (
            <p class="form-error" role="alert">
              {p()}
            </p>
          )}
        </Show>
        <button type="submit" class="primary" disabled={busy()}>
          {busy() ? 'Saving…' : 'Set password'}
        </button>
        <button type="button" class="link" onClick={signOut}>
          Sign out
        </button>
      </form>
    </main>
  );
}

function message(e: ApiError): string {
  if (e.code === 'auth.bad_credentials') return 'The one-time password is wrong.';
  return e.message;
}
