// The events filter as a person shares it: in the URL hash's query string, so reloading or sending
// a link reproduces the view. Parsing never throws: unknown values in a hand-edited URL are dropped.
import {
  EVENT_TYPES,
  STATUSES,
  type EventFilter,
  type EventType,
  type DeliveryStatus,
  type MachineMode,
} from './types';

export const PRESETS = ['24h', '7d', '30d', '90d', '1y', 'custom'] as const;
export type Preset = (typeof PRESETS)[number];

const PRESET_MS: Record<Exclude<Preset, 'custom'>, number> = {
  '24h': 24 * 3600_000,
  '7d': 7 * 86400_000,
  '30d': 30 * 86400_000,
  '90d': 90 * 86400_000,
  '1y': 365 * 86400_000,
};
export const PRESET_LABELS: Record<Preset, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
  '1y': 'Last year',
  custom: 'Custom',
};

/// What the URL holds: a relative preset stays relative (a link to "last 7 days" opened tomorrow
/// shows tomorrow's last 7 days); a custom range holds absolute times.
export interface ViewState {
  preset: Preset;
  from?: string;
  to?: string;
  status: DeliveryStatus[];
  type: EventType[];
  recipient: string;
  messageId: string;
  tag: string;
  machine: MachineMode;
}

export const DEFAULT_VIEW: ViewState = {
  preset: '7d',
  status: [],
  type: [],
  recipient: '',
  messageId: '',
  tag: '',
  machine: 'include',
};

function list<T extends string>(params: URLSearchParams, key: string, allowed: readonly T[]): T[] {
  const out: T[] = [];
  for (const raw of params.getAll(key))
    for (const v of raw.split(','))
      if ((allowed as readonly string[]).includes(v) && !out.includes(v as T)) out.push(v as T);
  // Keep the core's order so equal filters give equal URLs.
  return out.sort((a, b) => allowed.indexOf(a) - allowed.indexOf(b));
}

function isoOrUndefined(s: string | null): string | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export function parseView(params: URLSearchParams): ViewState {
  const presetRaw = params.get('range') ?? '';
  const from = isoOrUndefined(params.get('from'));
  const to = isoOrUndefined(params.get('to'));
  let preset: Preset = (PRESETS as readonly string[]).includes(presetRaw)
    ? (presetRaw as Preset)
    : from || to
      ? 'custom'
      : DEFAULT_VIEW.preset;
  if (preset === 'custom' && !from && !to) preset = DEFAULT_VIEW.preset;
  const machineRaw = params.get('machine');
  const machine: MachineMode =
    machineRaw === 'exclude' || machineRaw === 'only' ? machineRaw : 'include';
  return {
    preset,
    ...(preset === 'custom' ? { from, to } : {}),
    status: list(params, 'status', STATUSES),
    type: list(params, 'type', EVENT_TYPES),
    recipient: (params.get('recipient') ?? '').trim(),
    messageId: (params.get('messageId') ?? '').trim(),
    tag: (params.get('tag') ?? '').trim(),
    machine,
  };
}

/// The inverse of parseView; defaults are left out so URLs stay short.
export function serializeView(v: ViewState): URLSearchParams {
  const p = new URLSearchParams();
  if (v.preset !== DEFAULT_VIEW.preset) p.set('range', v.preset);
  if (v.preset === 'custom') {
    if (v.from) p.set('from', v.from);
    if (v.to) p.set('to', v.to);
  }
  if (v.status.length) p.set('status', v.status.join(','));
  if (v.type.length) p.set('type', v.type.join(','));
  if (v.recipient) p.set('recipient', v.recipient);
  if (v.messageId) p.set('messageId', v.messageId);
  if (v.tag) p.set('tag', v.tag);
  if (v.machine !== 'include') p.set('machine', v.machine);
  return p;
}

/// The absolute range a view covers at `now` (ms since epoch).
export function viewRange(v: ViewState, now: number): { from: number; to: number } {
  if (v.preset === 'custom') {
    const to = v.to ? Date.parse(v.to) : now;
    const from = v.from ? Date.parse(v.from) : to - PRESET_MS['30d'];
    return from <= to ? { from, to } : { from: to, to: from };
  }
  return { from: now - PRESET_MS[v.preset], to: now };
}

/// The filter the API and the wasm core take, with absolute times.
export function toFilter(v: ViewState, now: number): EventFilter {
  const r = viewRange(v, now);
  const f: EventFilter = {
    from: new Date(r.from).toISOString(),
    to: new Date(r.to).toISOString(),
    status: [...v.status],
    type: [...v.type],
    machine: v.machine,
  };
  const recipient = normalizeRecipientQuery(v.recipient);
  if (recipient) f.recipient = recipient;
  if (v.messageId) f.messageId = v.messageId;
  // The core wants name=value; a half-typed tag (no '=') filters nothing yet rather than failing.
  if (/^[^=]+=/.test(v.tag)) f.tag = v.tag;
  return f;
}

/// The search box accepts what people type: "bob@x.com" (exact), "@x.com" (domain), "bob" (part);
/// "bob*" and "*x.com" (prefix, suffix) pass through. The core's grammar wants wildcards spelled
/// out, and refuses a lone "@" or "*".
export function normalizeRecipientQuery(q: string): string {
  const s = q.trim().toLowerCase();
  if (!s || /^[*@]*$/.test(s)) return '';
  if (s.startsWith('@') || s.includes('*') || s.includes('@')) return s;
  return `*${s}*`;
}
