// The bell in the header: unread alerts, each saying what happened, since when and what to do.
// Polls every 30 s (alerts come from the server's own checks, not from this page).
import { createResource, createSignal, For, onCleanup, Show, type JSX } from 'solid-js';
import { fetchAlerts, markAlertRead, markAllAlertsRead } from '../guard.api';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');

export function AlertBell(): JSX.Element {
  const [open, setOpen] = createSignal(false);
  const [alerts, { refetch }] = createResource(fetchAlerts);
  const timer = setInterval(() => {
    void refetch();
  }, 30_000);
  onCleanup(() => clearInterval(timer));
  const unread = () => {
    const a = alerts();
    return a && a.ok ? a.value.unread : 0;
  };
  const read = async (id: string) => {
    await markAlertRead(id);
    await refetch();
  };
  const readAll = async () => {
    await markAllAlertsRead();
    await refetch();
  };
  return (
    <div class="bell">
      <button
        type="button"
        class="link"
        aria-expanded={open()}
        aria-controls="alert-panel"
        data-testid="alert-bell"
        aria-label={unread() ? `Alerts: ${unread()} unread` : 'Alerts'}
        onClick={() => {
          setOpen(!open());
          if (!open()) return;
          void refetch();
        }}
      >
        <span aria-hidden="true">🔔</span>
        <Show when={unread() > 0}>
          <span class="badge danger" data-testid="alert-unread">
            {unread()}
          </span>
        </Show>
      </button>
      <Show when={open()}>
        <section id="alert-panel" class="bell-panel card" aria-label="Alerts">
          <header class="page-head">
            <h2>Alerts</h2>
            <Show when={unread() > 0}>
              <button type="button" class="link" onClick={readAll}>
                Mark all read
              </button>
            </Show>
          </header>
          <Show when={alerts()} keyed>
            {(r) => (
              <Show
                when={r.ok && r.value.alerts.length > 0}
                fallback={<p class="muted">{r.ok ? 'No alerts.' : r.error.message}</p>}
              >
                <ul class="bell-list">
                  <For each={r.ok ? r.value.alerts : []}>
                    {(a) => (
                      <li
                        class={a.read ? 'read' : 'unread'}
                        data-testid="alert-item"
                        data-kind={a.kind}
                      >
                        <p>
                          <strong>{a.summary}</strong>
                        </p>
                        <p class="muted small">
                          Since {when(a.since)}
                          {a.open ? '' : ` · resolved ${when(a.resolvedAt)}`}
                        </p>
                        <Show when={a.detail}>
                          <p>{a.detail}</p>
                        </Show>
                        <Show when={a.action}>
                          <p>
                            <em>What to do:</em> {a.action}
                          </p>
                        </Show>
                        <Show when={!a.read}>
                          <button type="button" class="link" onClick={() => read(a.id)}>
                            Mark read
                          </button>
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            )}
          </Show>
        </section>
      </Show>
    </div>
  );
}
