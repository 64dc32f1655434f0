// A recipient's or a message's story, event by event: sent → delivered → opened, clicked links,
// bounce with diagnostic code and our classification, complaint with feedback type.
import { For, Show, type JSX } from 'solid-js';
import type { SesEvent } from '../lib/types';
import { TYPE_LABELS, detailText, isMachine, machineReason, safeLink } from '../lib/event-text';
import { formatTime } from '../lib/time';
import { href } from '../lib/router';

export function Timeline(props: {
  events: SesEvent[];
  show: 'recipient' | 'message';
}): JSX.Element {
  return (
    <ol class="timeline" aria-label="Timeline">
      <For each={props.events}>
        {(e) => (
          <li class={`tl-item t-${e.type}`} data-type={e.type}>
            <span class="tl-dot" aria-hidden="true" />
            <div class="tl-body">
              <div class="tl-head">
                <span class={`badge t-${e.type}`}>{TYPE_LABELS[e.type] ?? e.type}</span>
                <time datetime={e.timestamp}>{formatTime(e.timestamp)}</time>
                <Show when={isMachine(e)}>
                  <span class="badge machine" title={machineReason(e)}>
                    machine{machineReason(e) ? `: ${machineReason(e)}` : ''}
                  </span>
                </Show>
              </div>
              <Show when={props.show === 'recipient'}>
                <div class="small">
                  Message{' '}
                  <a class="mono" href={href(`/messages/${encodeURIComponent(e.messageId)}`)}>
                    {e.messageId}
                  </a>
                  <Show when={e.subject}> · “{e.subject}”</Show>
                </div>
              </Show>
              <Show when={props.show === 'message' && e.recipient}>
                <div class="small">
                  To{' '}
                  <a href={href(`/recipients/${encodeURIComponent(e.recipient!)}`)}>
                    {e.recipient}
                  </a>
                </div>
              </Show>
              <Show when={e.type === 'bounce'}>
                <dl class="kv small">
                  <dt>Classification</dt>
                  <dd data-testid="bounce-class">{e.bounce?.class ?? '—'}</dd>
                  <dt>SES type</dt>
                  <dd>{[e.bounce?.type, e.bounce?.subType].filter(Boolean).join(' / ') || '—'}</dd>
                  <dt>Status</dt>
                  <dd>{e.bounce?.status || '—'}</dd>
                  <dt>Diagnostic</dt>
                  <dd class="mono">{e.bounce?.diagnosticCode || '—'}</dd>
                </dl>
              </Show>
              <Show when={e.type === 'complaint'}>
                <dl class="kv small">
                  <dt>Feedback type</dt>
                  <dd>{e.complaint?.feedbackType || '—'}</dd>
                  <Show when={e.complaint?.userAgent}>
                    <dt>Reported by</dt>
                    <dd>{e.complaint?.userAgent}</dd>
                  </Show>
                </dl>
              </Show>
              <Show when={e.type !== 'bounce' && e.type !== 'complaint' && detailText(e)}>
                <div class="small muted ellipsis" title={detailText(e)}>
                  {e.type === 'click' ? (
                    <a
                      href={safeLink(e.click?.link)}
                      rel="noopener noreferrer nofollow"
                      target="_blank"
                    >
                      {detailText(e)}
                    </a>
                  ) : (
                    detailText(e)
                  )}
                </div>
              </Show>
            </div>
          </li>
        )}
      </For>
    </ol>
  );
}
