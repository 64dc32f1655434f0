// Pipeline health (docs/api.md "Pipeline health"): each event source's last event, hourly counts,
// last error and silence window, and the findings that say events are not arriving.
import { json } from '../../lib/api';

export type SourceKind = 'sns' | 'eventbridge' | 'sqs' | 'event-bus' | 'import' | 'simulator';

export interface EventSource {
  id: string;
  kind: SourceKind;
  name: string;
  description: string;
  firstEventAt: string | null;
  lastEventAt: string | null;
  lastEventAgeSeconds: number | null;
  eventsLastHour: number;
  hourly: { hour: string; events: number }[];
  lastErrorAt: string | null;
  lastError: string | null;
  silent: boolean;
  silenceWindowMinutes: number | null;
  silenceWindowDefault: boolean;
}
export interface SilenceFinding {
  kind: 'source_silent' | 'send_events_missing';
  source: string | null;
  since: string | null;
  message: string;
  check: string;
}
export interface PipelineHealth {
  sources: EventSource[];
  findings: SilenceFinding[];
  silent: boolean;
  lastEvent: { at: string; source: string; kind: SourceKind; description: string } | null;
  checkedAt: string;
}

export const fetchHealth = () => json<PipelineHealth>('GET', '/health/sources');
/// null: back to the default derived from the source's usual rate.
export const setSilenceWindow = (id: string, minutes: number | null) =>
  json<EventSource>('PATCH', `/health/sources/${encodeURIComponent(id)}`, {
    body: { silenceWindowMinutes: minutes },
  });

const VIA: Record<SourceKind, string> = {
  sns: 'SNS',
  eventbridge: 'EventBridge',
  sqs: 'SQS',
  'event-bus': 'the event bus',
  import: 'a file import',
  simulator: 'the simulator',
};
export const via = (k: SourceKind): string => VIA[k] ?? k;

/// "just now", "3 min ago", "2 h 5 min ago", "3 days ago".
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const min = Math.max(0, Math.floor((now - Date.parse(iso)) / 60_000));
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min ago`;
  if (min < 48 * 60) return `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''} ago`;
  return `${Math.floor(min / (24 * 60))} days ago`;
}

/// A window in minutes as people say it: "45 min", "2 h", "2 days".
export function windowText(min: number | null): string {
  if (min === null) return 'not watched';
  if (min % (24 * 60) === 0) return `${min / (24 * 60)} day${min === 24 * 60 ? '' : 's'}`;
  if (min % 60 === 0) return `${min / 60} h`;
  return `${min} min`;
}
