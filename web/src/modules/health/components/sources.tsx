// Settings → Sources: each event source with its last event, events over 24 hours, last error and
// silence window; admins set a source's window (or put it back to the default).
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { ago, fetchHealth, setSilenceWindow, windowText, type EventSource } from '../health.api';
import { canAdmin, role } from '../../auth/session';
import { Async } from '../../../components/states';
import { formatTime } from '../../../lib/time';
import type { ApiError } from '../../../lib/types';

function WindowEditor(props: { source: EventSource; changed: () => void }): JSX.Element {
  const [minutes, setMinutes] = createSignal(String(props.source.silenceWindowMinutes ?? ''));
  const [error, setError] = createSignal<ApiError | null>(null);
  const save = async (value: number | null) => {
    const r = await setSilenceWindow(props.source.id, value);
    if (r.ok) {
      setError(null);
      props.changed();
    } else setError(r.error);
  };
  return (
    <form
      class="row wrap gap end"
      onSubmit={(e) => {
        e.preventDefault();
        void save(Number(minutes()));
      }}
    >
      <label class="field small">
        Silence window (minutes)
        <input
          type="number"
          min="5"
          max="43200"
          step="1"
          required
          name={`window-${props.source.id}`}
          value={minutes()}
          onInput={(e) => setMinutes(e.currentTarget.value)}
        />
      </label>
      <button type="submit">Save window</button>
      <Show when={!props.source.silenceWindowDefault}>
        <button type="button" class="link" onClick={() => void save(null)}>
          Use the default
        </button>
      </Show>
      <Show when={error()}>
        {(e) => (
          <p class="form-error" role="alert">
            {e().message} <code class="muted">({e().code})</code>
          </p>
        )}
      </Show>
    </form>
  );
}

function Bars(props: { hourly: { hour: string; events: number }[] }): JSX.Element {
  const max = () => Math.max(1, ...props.hourly.map((h) => h.events));
  return (
    <span class="spark" aria-hidden="true">
      <For each={props.hourly}>
        {(h) => (
          <span
            style={{ height: `${Math.round((h.events / max()) * 100)}%` }}
            title={`${h.hour}: ${h.events}`}
          />
        )}
      </For>
    </span>
  );
}

export function SourcesSection(): JSX.Element {
  const [health, { refetch }] = createResource(fetchHealth);
  return (
    <section class="card stack" aria-labelledby="sources-title" data-testid="sources">
      <h2 id="sources-title">Sources</h2>
      <p class="muted">
        Where this workspace's events come from. A source that used to deliver and has been quiet
        longer than its silence window is flagged; the default window is twice the usual gap between
        its busy hours (at least an hour).
      </p>
      <Async data={health()} retry={refetch}>
        {(h) => (
          <Show
            when={h.sources.length}
            fallback={<p class="muted">No events have arrived from any source yet.</p>}
          >
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Last event</th>
                  <th scope="col">Last 24 h</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Window</th>
                </tr>
              </thead>
              <tbody>
                <For each={h.sources}>
                  {(s) => (
                    <tr
                      data-testid="source"
                      data-kind={s.kind}
                      data-silent={s.silent ? 'true' : 'false'}
                    >
                      <td>
                        <strong>{s.description}</strong>
                        <Show when={s.silent}>
                          {' '}
                          <span class="badge danger">silent</span>
                        </Show>
                      </td>
                      <td>
                        <span title={s.lastEventAt ? formatTime(s.lastEventAt) : ''}>
                          {ago(s.lastEventAt)}
                        </span>
                        <Show when={s.lastEventAt}>
                          <br />
                          <span class="small muted">{s.eventsLastHour} in the last hour</span>
                        </Show>
                      </td>
                      <td>
                        <Bars hourly={s.hourly} />{' '}
                        <span class="small muted">
                          {s.hourly.reduce((n, x) => n + x.events, 0)}
                        </span>
                      </td>
                      <td>
                        <Show when={s.lastError} fallback={<span class="muted">—</span>}>
                          <span class="small" data-testid="source-error">
                            {s.lastError}
                          </span>
                          <br />
                          <span class="small muted">{formatTime(s.lastErrorAt ?? undefined)}</span>
                        </Show>
                      </td>
                      <td>
                        <span data-testid="source-window">
                          {windowText(s.silenceWindowMinutes)}
                        </span>
                        <Show when={s.silenceWindowDefault && s.silenceWindowMinutes !== null}>
                          <span class="small muted"> (default)</span>
                        </Show>
                        <Show when={canAdmin(role())}>
                          <WindowEditor source={s} changed={refetch} />
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
        )}
      </Async>
    </section>
  );
}
