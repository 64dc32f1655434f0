// Watching a sent message's events arrive: per recipient, has SES said "Send" yet, and what came
// of it (Delivery, Bounce, Complaint, ...). The page polls GET /events?messageId=… and asks these
// functions whether to keep polling.
import type { EventType, SesEvent } from '../../lib/types';

/// Outcomes after which nothing more is expected for a recipient.
const FINAL: readonly EventType[] = ['bounce', 'complaint', 'reject', 'rendering_failure'];
/// Which outcome a recipient's line shows when several arrived (a complaint follows a delivery).
const RANK: Partial<Record<EventType, number>> = {
  delivery_delay: 1,
  delivery: 2,
  rendering_failure: 3,
  reject: 4,
  bounce: 5,
  complaint: 6,
};
/// Timeline order for events with the same timestamp: the order SES produces them in.
const ORDER: Partial<Record<EventType, number>> = {
  send: 0,
  reject: 1,
  rendering_failure: 1,
  delivery_delay: 2,
  delivery: 3,
  bounce: 3,
  complaint: 4,
  open: 5,
  click: 6,
};

/// After a Delivery, how long to keep watching for a Complaint (the simulator's complaint@ sends
/// Delivery, then Complaint).
export const SETTLE_MS = 10_000;
/// When to stop polling if SES says nothing (no configuration set publishing events, a wrong
/// ingestion endpoint): the page then says so.
export const WATCH_TIMEOUT_MS = 120_000;
export const POLL_MS = 1_000;

export interface RecipientProgress {
  recipient: string;
  sent: boolean; // a Send event arrived
  outcome: EventType | null; // the most telling outcome so far
  final: boolean; // nothing more expected
  detail: string; // e.g. "hard bounce", "abuse"
}

export type WatchPhase = 'waiting' | 'settling' | 'done' | 'timeout';

/// Oldest first, SES's order within a timestamp.
export function sortEvents(events: SesEvent[]): SesEvent[] {
  return [...events].sort(
    (a, b) => a.timestamp.localeCompare(b.timestamp) || (ORDER[a.type] ?? 9) - (ORDER[b.type] ?? 9),
  );
}

export function progress(recipients: string[], events: SesEvent[]): RecipientProgress[] {
  return recipients.map((recipient) => {
    const mine = events.filter(
      (e) => !e.recipient || e.recipient.toLowerCase() === recipient.toLowerCase(),
    );
    let outcome: SesEvent | null = null;
    for (const e of mine) {
      const r = RANK[e.type];
      if (r !== undefined && (!outcome || r > (RANK[outcome.type] ?? 0))) outcome = e;
    }
    let detail = '';
    if (outcome?.type === 'bounce')
      detail = [outcome.bounce?.class && `${outcome.bounce.class} bounce`, outcome.bounce?.subType]
        .filter(Boolean)
        .join(' · ');
    else if (outcome?.type === 'complaint') detail = outcome.complaint?.feedbackType ?? '';
    else if (outcome?.type === 'reject') detail = outcome.reject?.reason ?? '';
    return {
      recipient,
      sent: mine.some((e) => e.type === 'send') || outcome !== null,
      outcome: outcome?.type ?? null,
      final: outcome !== null && FINAL.includes(outcome.type),
      detail,
    };
  });
}

/// Whether to keep polling. `outcomesSince`: when every recipient first had an outcome (the page
/// remembers it), or null.
export function watchPhase(
  p: RecipientProgress[],
  elapsedMs: number,
  outcomesSince: number | null,
  now: number,
): WatchPhase {
  if (p.length && p.every((r) => r.final)) return 'done';
  const allOutcomes =
    p.length > 0 && p.every((r) => r.outcome !== null && r.outcome !== 'delivery_delay');
  if (allOutcomes)
    return outcomesSince !== null && now - outcomesSince >= SETTLE_MS ? 'done' : 'settling';
  return elapsedMs >= WATCH_TIMEOUT_MS ? 'timeout' : 'waiting';
}
