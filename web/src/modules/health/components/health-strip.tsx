// Overview's health strip: when the last event came and through which source; red with what to
// check when a source is silent or sent mail's events have not come.
import { createResource, For, onCleanup, Show, type JSX } from 'solid-js';
import { ago, fetchHealth, via } from '../health.api';
import { href } from '../../../lib/router';

export function HealthStrip(): JSX.Element {
  const [health, { refetch }] = createResource(fetchHealth);
  const timer = setInterval(() => refetch(), 60_000);
  onCleanup(() => clearInterval(timer));
  return (
    <Show when={health()?.ok ? health() : undefined} keyed>
      {(r) => {
        const h = r.ok ? r.value : null;
        if (!h) return null;
        return (
          <div
            class={`health-strip ${h.silent ? 'alert level-review' : ''}`}
            data-testid="health-strip"
            data-silent={h.silent ? 'true' : 'false'}
            role={h.silent ? 'alert' : 'status'}
          >
            <p>
              <Show when={h.lastEvent} fallback={<span>No event has arrived yet.</span>}>
                {(l) => (
                  <span>
                    Last event <strong>{ago(l().at)}</strong> via {via(l().kind)}
                  </span>
                )}
              </Show>
              {' · '}
              <a href={href('/settings') + '#sources-title'}>Sources</a>
            </p>
            <Show when={h.findings.length}>
              <ul class="stack">
                <For each={h.findings}>
                  {(f) => (
                    <li data-testid="health-finding" data-kind={f.kind}>
                      <strong>{f.message}</strong>
                      <details>
                        <summary>What to check</summary>
                        <p class="small">{f.check}</p>
                      </details>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </div>
        );
      }}
    </Show>
  );
}
