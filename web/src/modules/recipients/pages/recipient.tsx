// One recipient: current status, suppression, every message and the full timeline.
import { createResource, For, Show, type JSX } from 'solid-js';
import { fetchRecipient } from '../recipients.api';
import { Timeline } from '../../../components/timeline';
import { Async, Empty } from '../../../components/states';
import { SuppressButton } from '../../suppression/components/suppress-button';
import { href } from '../../../lib/router';
import { formatTime } from '../../../lib/time';

export function RecipientPage(props: { address: string }): JSX.Element {
  const [data, { refetch }] = createResource(() => props.address, fetchRecipient);
  return (
    <section class="page" aria-labelledby="recipient-title">
      <header class="page-head">
        <h1 id="recipient-title"><span class="muted">Recipient</span> {props.address}</h1>
      </header>
      <Async data={data()} retry={refetch}>{(r) => (
        <>
          <div class="card row wrap gap">
            <span>Status <span class={`badge s-${r.status ?? 'none'}`} data-testid="recipient-status">{r.status ?? 'no events'}</span></span>
            <span data-testid="suppression-status">{r.suppressed !== null
              ? <span class="badge danger">Suppressed: {r.suppressed}</span> : <span class="badge ok">Not suppressed</span>}</span>
            <SuppressButton address={r.address} suppressed={r.suppressed !== null} onChanged={refetch} />
            <a href={href('/events', new URLSearchParams({ recipient: r.address, range: '1y' }))}>Events of this recipient →</a>
          </div>
          <Show when={r.messages.length}>
            <section class="card">
              <h2>Messages</h2>
              <table class="table">
                <thead><tr><th scope="col">Message</th><th scope="col">Status</th><th scope="col">First seen</th><th scope="col">Last seen</th></tr></thead>
                <tbody><For each={r.messages}>{(m) => (
                  <tr><td><a class="mono" href={href(`/messages/${encodeURIComponent(m.messageId)}`)}>{m.messageId}</a></td>
                    <td><span class={`badge s-${m.status}`}>{m.status}</span></td><td>{formatTime(m.firstSeen)}</td><td>{formatTime(m.lastSeen)}</td></tr>
                )}</For></tbody>
              </table>
            </section>
          </Show>
          <section class="card">
            <h2>Timeline</h2>
            <Show when={r.events.length} fallback={<Empty>No events for this address yet.</Empty>}>
              <Timeline events={r.events} show="recipient" />
            </Show>
          </section>
        </>
      )}</Async>
    </section>
  );
}
