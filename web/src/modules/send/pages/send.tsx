// Send a test mail (the SES mailbox simulator when offline), then watch its events arrive.
import { createSignal, For, onCleanup, Show, type JSX } from 'solid-js';
import { sendMail, type SendResult } from '../send.api';
import { fetchMessage } from '../../messages/messages.api';
import { Timeline } from '../../../components/timeline';
import { href } from '../../../lib/router';
import type { ApiError, SesEvent } from '../../../lib/types';

const SIMULATOR = ['success', 'bounce', 'complaint', 'ooto', 'suppressionlist'].map((k) => `${k}@simulator.amazonses.com`);

export function SendPage(): JSX.Element {
  const [from, setFrom] = createSignal(localStorage.getItem('sesami-from') ?? '');
  const [to, setTo] = createSignal(SIMULATOR[0]);
  const [subject, setSubject] = createSignal('SESami test');
  const [body, setBody] = createSignal('Hello from SESami.');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<ApiError | null>(null);
  const [sent, setSent] = createSignal<SendResult | null>(null);
  const [events, setEvents] = createSignal<SesEvent[]>([]);
  let poll: ReturnType<typeof setInterval> | undefined;
  onCleanup(() => clearInterval(poll));

  // Events arrive through SNS/SQS within seconds; poll the message until it stops changing.
  const watch = (id: string) => {
    clearInterval(poll);
    let rounds = 0;
    const tick = async () => {
      const r = await fetchMessage(id);
      if (r.ok) setEvents(r.value.events ?? []);
      if (++rounds > 120) clearInterval(poll);
    };
    void tick();
    poll = setInterval(tick, 1500);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setError(null); setSent(null); setEvents([]);
    try { localStorage.setItem('sesami-from', from().trim()); } catch { /* storage disabled */ }
    const r = await sendMail({ from: from().trim(), to: [to().trim()], subject: subject(), text: body(), correlationId: `web-${Date.now()}` });
    setBusy(false);
    if (!r.ok) { setError(r.error); return; }
    setSent(r.value);
    watch(r.value.messageId);
  };

  return (
    <section class="page" aria-labelledby="send-title">
      <header class="page-head"><h1 id="send-title">Send a test mail</h1></header>
      <form class="card stack" onSubmit={submit}>
        <label class="field">From (a verified SES identity)<input name="from" type="email" required value={from()} onInput={(e) => setFrom(e.currentTarget.value)} /></label>
        <label class="field">To<input name="to" type="email" list="simulator" required value={to()} onInput={(e) => setTo(e.currentTarget.value)} /></label>
        <datalist id="simulator"><For each={SIMULATOR}>{(a) => <option value={a} />}</For></datalist>
        <p class="muted small">The SES mailbox simulator's addresses produce each outcome without hurting your reputation; SESami does not count them in your rates.</p>
        <label class="field">Subject<input name="subject" required value={subject()} onInput={(e) => setSubject(e.currentTarget.value)} /></label>
        <label class="field">Text<textarea name="text" rows="4" value={body()} onInput={(e) => setBody(e.currentTarget.value)} /></label>
        <div><button type="submit" class="primary" disabled={busy()}>{busy() ? 'Sending…' : 'Send'}</button></div>
        <Show when={error()}>{(er) => <p class="form-error" role="alert">{er().message} <code class="muted">({er().code})</code></p>}</Show>
      </form>
      <Show when={sent()}>{(s) => (
        <section class="card" aria-live="polite">
          <h2>Sent</h2>
          <p>Message <a class="mono" data-testid="sent-message-id" href={href(`/messages/${encodeURIComponent(s().messageId)}`)}>{s().messageId}</a>
            <Show when={s().simulated}> (simulated)</Show></p>
          <Show when={events().length} fallback={<p class="muted"><span class="spinner" aria-hidden="true" /> Waiting for events…</p>}>
            <Timeline events={events()} show="message" />
          </Show>
        </section>
      )}</Show>
    </section>
  );
}
