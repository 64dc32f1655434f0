// One message: each recipient's status and the message's story, oldest first.
import { createResource, For, Show, type JSX } from 'solid-js';
import { fetchMessage } from '../messages.api';
import { Timeline } from '../../../components/timeline';
import { Async, Empty } from '../../../components/states';
import { href } from '../../../lib/router';

export function MessagePage(props: { id: string }): JSX.Element {
  const [data, { refetch }] = createResource(() => props.id, fetchMessage);
  return (
    <section class="page" aria-labelledby="message-title">
      <header class="page-head"><h1 id="message-title"><span class="muted">Message</span> <span class="mono">{props.id}</span></h1></header>
      <Async data={data()} retry={refetch}>{(m) => (
        <>
          <Show when={m.events?.[0]?.subject}><p>“{m.events[0].subject}” from {m.events[0].sender}</p></Show>
          <section class="card">
            <h2>Recipients</h2>
            <ul class="plain"><For each={m.recipients}>{(r) => (
              <li><a href={href(`/recipients/${encodeURIComponent(r.recipient)}`)}>{r.recipient}</a> <span class={`badge s-${r.status}`}>{r.status}</span></li>
            )}</For></ul>
          </section>
          <section class="card">
            <h2>Timeline</h2>
            <Show when={m.events?.length} fallback={<Empty>No events for this message.</Empty>}>
              <Timeline events={m.events} show="message" />
            </Show>
          </section>
        </>
      )}</Async>
    </section>
  );
}
