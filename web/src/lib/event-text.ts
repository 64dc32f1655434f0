// How an event reads in a table cell, a timeline and a CSV export: one wording everywhere.
import type { EventType, SesEvent } from './types';
import { toCsv } from './csv';

export const TYPE_LABELS: Record<EventType, string> = {
  send: 'Sent',
  delivery: 'Delivered',
  bounce: 'Bounce',
  complaint: 'Complaint',
  open: 'Open',
  click: 'Click',
  reject: 'Rejected',
  delivery_delay: 'Delayed',
  rendering_failure: 'Rendering failure',
  subscription: 'Subscription',
  unknown: 'Unknown',
};

/// Colours per type, the same in every chart and badge (readable on light and dark backgrounds).
export const TYPE_COLORS: Record<EventType, string> = {
  send: '#6b7280',
  delivery: '#16a34a',
  bounce: '#dc2626',
  complaint: '#9333ea',
  open: '#2563eb',
  click: '#0891b2',
  reject: '#b45309',
  delivery_delay: '#ca8a04',
  rendering_failure: '#be185d',
  subscription: '#64748b',
  unknown: '#94a3b8',
};

/// One row of the events table: what the columnar batch holds for an event (full details, like a
/// bounce's diagnostic code, are on the recipient and message pages, from the API).
export interface EventRow {
  timestamp: string; // ISO 8601
  type: EventType;
  recipient: string; // "" when SES did not say
  messageId: string;
  subject: string;
  sender: string;
  machine: boolean;
  bounceClass: string; // "" unless a bounce
  link: string; // "" unless a click
}

/// The table's one-line detail.
export function rowDetail(r: EventRow): string {
  if (r.type === 'bounce') return r.bounceClass ? `${r.bounceClass} bounce` : '';
  if (r.type === 'click') return r.link;
  return '';
}

export const CSV_HEADER = [
  'timestamp',
  'type',
  'recipient',
  'messageId',
  'subject',
  'sender',
  'detail',
  'machine',
] as const;

/// The CSV of exactly these rows, in this order: what the table shows.
export function rowsCsv(count: number, row: (i: number) => EventRow): string {
  function* rows() {
    for (let i = 0; i < count; i++) {
      const r = row(i);
      yield [
        r.timestamp,
        r.type,
        r.recipient,
        r.messageId,
        r.subject,
        r.sender,
        rowDetail(r),
        r.machine ? 'yes' : '',
      ];
    }
  }
  return toCsv(CSV_HEADER, rows());
}

/// What happened beyond the type, for a full event (timelines).
export function detailText(e: SesEvent): string {
  switch (e.type) {
    case 'bounce': {
      const b = e.bounce;
      if (!b) return '';
      const kind = [b.class, b.type && `${b.type}${b.subType ? `/${b.subType}` : ''}`]
        .filter(Boolean)
        .join(' · ');
      return [kind, b.status, b.diagnosticCode].filter(Boolean).join(' — ');
    }
    case 'complaint':
      return [e.complaint?.feedbackType, e.complaint?.subType].filter(Boolean).join(' · ');
    case 'click':
      return e.click?.link ?? '';
    case 'open':
      return e.open?.userAgent ?? '';
    case 'delivery':
      return e.delivery?.smtpResponse ?? '';
    case 'delivery_delay':
      return [e.delay?.type, e.delay?.status, e.delay?.diagnosticCode].filter(Boolean).join(' — ');
    case 'reject':
      return e.reject?.reason ?? '';
    case 'rendering_failure':
      return e.failure?.errorMessage ?? '';
    default:
      return '';
  }
}

export function isMachine(e: SesEvent): boolean {
  return Boolean(e.open?.machine || e.click?.machine);
}
export function machineReason(e: SesEvent): string {
  return e.open?.machineReason || e.click?.machineReason || '';
}

/// A link from a click event is attacker-controlled: only http(s) becomes a clickable href.
export function safeLink(url: string | undefined): string | undefined {
  return url && /^https?:\/\//i.test(url) ? url : undefined;
}
