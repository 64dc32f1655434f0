// One recipient: current status, suppression, their messages and timeline, 100 at a time with
// "Show more" for the rest.
import { createEffect, createResource, For, on, Show, type JSX } from 'solid-js';
import { fetchRecipient, type RecipientHistory } from '../recipients.api';
import { createMorePages } from '../../../lib/pages';
import { Timeline } from '../../../components/timeline';
import { Async, Empty } from '../../../components/states';
import { SuppressButton } from '../../suppression/components/suppress-button';
import { href } from '../../../lib/router';
import { formatTime } from '../../../lib/time';

export function RecipientPage(props: { address: string }): JSX.Element {
  const [data, { refetch }] = createResource(
    () => props.address,
    (a) => fetchRecipient(a),
  );
  const more = createMorePages<RecipientHistory>((cursor) => fetchRecipient(props.address, cursor));
  createEffect(on(data, () => more.reset()));
  const messages = (r: RecipientHistory) => [
    ...r.messages,
    ...more.pages().flatMap((p) => p.messages),
  ];
  const events = (r: RecipientHistory) => [...r.events, ...more.pages().flatMap((p) => p.events)];
  return (
    <section class="page" aria-labelledby="recipient-title">
      <header class="page-head">
        <h1 id="recipient-title">
          <span class="muted">Recipient</span> {props.address}
        </h1>
      </header>
      <Async data={data()} retry={refetch}>
        {(r) => (
          <>
            <div class="card row wrap gap">
              <span>
                Status{' '}
                <span class={`badge s-${r.status ?? 'none'}`} data-testid="recipient-status">
                  {r.status ?? 'no events'}
                </span>
              </span>
              <span data-testid="suppression-status">
                {r.suppressed !== null ? (
                  <span class="badge danger">Suppressed: {r.suppressed}</span>
                ) : (
                  <span class="badge ok">Not suppressed</span>
                )}
              </span>
              <SuppressButton
                address={r.address}
                suppressed={r.suppressed !== null}
                onChanged={refetch}
              />
              <a href={href('/events', new URLSearchParams({ recipient: r.address, range: '1y' }))}>
                Events of this recipient →
              </a>
            </div>
            <Show when={messages(r).length}>
              <section class="card">
                <h2>Messages</h2>
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Message</th>
                      <th scope="col">Status</th>
                      <th scope="col">First seen</th>
                      <th scope="col">Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={messages(r)}>
                      {(m) => (
                        <tr>
                          <td>
                            <a
                              class="mono"
                              href={href(`/messages/${encodeURIComponent(m.messageId)}`)}
                            >
                              {m.messageId}
                            </a>
                          </td>
                          <td>
                            <span class={`badge s-${m.status}`}>{m.status}</span>
                          </td>
                          <td>{formatTime(m.firstSeen)}</td>
                          <td>{formatTime(m.lastSeen)}</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </section>
            </Show>
            <section class="card">
              <h2>Timeline</h2>
              <Show
                when={events(r).length}
                fallback={<Empty>No events for this address yet.</Empty>}
              >
                <Timeline events={events(r)} show="recipient" />
              </Show>
            </section>
            <Show when={more.next(r)}>
              <div class="row gap">
                <button
                  type="button"
                  data-testid="recipient-more"
                  disabled={more.busy()}
                  onClick={() => void more.more(r)}
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
