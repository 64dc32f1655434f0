// One message: each recipient's status and the message's story, oldest first, 100 at a time with
// "Show more" for the rest.
import { createEffect, createResource, For, on, Show, type JSX } from 'solid-js';
import { fetchMessage, type MessageHistory } from '../messages.api';
import { createMorePages } from '../../../lib/pages';
import { Timeline } from '../../../components/timeline';
import { Async, Empty } from '../../../components/states';
import { href } from '../../../lib/router';

export function MessagePage(props: { id: string }): JSX.Element {
  const [data, { refetch }] = createResource(
    () => props.id,
    (id) => fetchMessage(id),
  );
  const more = createMorePages<MessageHistory>((cursor) => fetchMessage(props.id, cursor));
  createEffect(on(data, () => more.reset()));
  const recipients = (m: MessageHistory) => [
    ...m.recipients,
    ...more.pages().flatMap((p) => p.recipients),
  ];
  const events = (m: MessageHistory) => [...m.events, ...more.pages().flatMap((p) => p.events)];
  return (
    <section class="page" aria-labelledby="message-title">
      <header class="page-head">
        <h1 id="message-title">
          <span class="muted">Message</span> <span class="mono">{props.id}</span>
        </h1>
      </header>
      <Async data={data()} retry={refetch}>
        {(m) => (
          <>
            <Show when={m.events?.[0]?.subject}>
              <p>
                “{m.events[0].subject}” from {m.events[0].sender}
              </p>
            </Show>
            <section class="card">
              <h2>Recipients</h2>
              <ul class="plain">
                <For each={recipients(m)}>
                  {(r) => (
                    <li>
                      <a href={href(`/recipients/${encodeURIComponent(r.recipient)}`)}>
                        {r.recipient}
                      </a>{' '}
                      <span class={`badge s-${r.status}`}>{r.status}</span>
                    </li>
                  )}
                </For>
              </ul>
            </section>
            <section class="card">
              <h2>Timeline</h2>
              <Show when={events(m).length} fallback={<Empty>No events for this message.</Empty>}>
                <Timeline events={events(m)} show="message" />
              </Show>
            </section>
            <Show when={more.next(m)}>
              <div class="row gap">
                <button
                  type="button"
                  data-testid="message-more"
                  disabled={more.busy()}
                  onClick={() => void more.more(m)}
                >
                  {more.busy() ? 'Loading…' : 'Show more'}
                </button>
                <Show when={more.error()}>
                  <span class="muted" role="alert">
                    {more.error()}
                  </span>
                </Show>
              </div>
            </Show>
          </>
        )}
      </Async>
    </section>
  );
}
