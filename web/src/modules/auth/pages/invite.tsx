// #/invite?token=…: the link an inviter hands over (POST /users). A new person chooses a password;
// someone who has an account enters its own password (which this never changes).
import { createSignal, Show, type JSX } from 'solid-js';
import { redeemInvitation } from '../auth.api';
import { setSession } from '../session';
import { navigate } from '../../../lib/router';
import type { ApiError } from '../../../lib/types';

export function InvitePage(props: { token: string }): JSX.Element {
  const [password, setPassword] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<ApiError | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const r = await redeemInvitation(props.token, password());
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setSession(r.value);
    navigate('/');
  };
  const message = (e: ApiError) =>
    e.status === 404
      ? 'This invitation was used, revoked or has expired; ask for a new one.'
      : e.status === 401
        ? 'That is not the password of the account this invitation is for.'
        : e.message;

  return (
    <main class="sign-in">
      <form class="card" onSubmit={submit} aria-labelledby="invite-title">
        <h1 id="invite-title">
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Join a workspace
        </h1>
        <p class="muted">
          New here? Choose a password (8 characters or more). Already have an account for this
          email? Enter its password.
        </p>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minLength={8}
            value={password()}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <Show when={error()}>
          {(e) => (
            <p class="form-error" role="alert">
              {message(e())}
            </p>
          )}
        </Show>
        <button type="submit" class="primary" disabled={busy() || !props.token}>
          {busy() ? 'Joining…' : 'Join'}
        </button>
      </form>
    </main>
  );
}
