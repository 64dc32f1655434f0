// The reputation guard on the Overview: the state, the reason, since when, and (admins) the
// Resume button while bulk sending is paused.
import { createResource, createSignal, Show, type JSX } from 'solid-js';
import { fetchReputation, resumeSending } from '../guard.api';
import { canAdmin, role } from '../../auth/session';

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(2)} %`);

export function ReputationPanel(): JSX.Element {
  const [rep, { mutate }] = createResource(fetchReputation);
  const [error, setError] = createSignal('');
  const resume = async () => {
    setError('');
    const r = await resumeSending();
    if (r.ok) mutate(r);
    else setError(r.error.message);
  };
  return (
    <Show when={rep()} keyed>
      {(r) => (
        <Show when={r.ok ? r.value : undefined} keyed>
          {(v) => (
            <section
              class={`alert reputation ${v.status === 'paused' ? 'level-review' : ''}`}
              data-testid="reputation"
              data-status={v.status}
              aria-label="Reputation guard"
            >
              <p>
                <strong>
                  Reputation:{' '}
                  {v.status === 'ok'
                    ? 'OK'
                    : v.status === 'warning'
                      ? 'Warning'
                      : 'Bulk sending paused'}
                </strong>{' '}
                <span class="muted small">
                  bounce {pct(v.bounceRate)} · complaints {pct(v.complaintRate)} · {v.sends} sends
                  over {v.window}
                </span>
              </p>
              <Show when={v.reason}>
                <p data-testid="reputation-reason">{v.reason}</p>
              </Show>
              <Show when={v.since && v.status !== 'ok'}>
                <p class="muted small">Since {new Date(v.since!).toLocaleString()}</p>
              </Show>
              <Show when={v.status === 'paused' && canAdmin(role())}>
                <p>
                  <button
                    type="button"
                    class="primary"
                    data-testid="reputation-resume"
                    onClick={resume}
                  >
                    Resume sending
                  </button>{' '}
                  <span class="muted small">Only worse rates or a new window pause it again.</span>
                </p>
              </Show>
              <Show when={error()}>
                <p class="form-error" role="alert">
                  {error()}
                </p>
              </Show>
            </section>
          )}
        </Show>
      )}
    </Show>
  );
}
