// The events feature's API calls: the window of events the browser filters locally.
import { json, request } from '../../lib/api';
import type { Result, SesEvent } from '../../lib/types';

export const COLUMNAR = 'application/vnd.sesami.columnar';

/// The window's size cap: the largest columnar page GET /events serves (docs/api.md). Beyond it
/// the page says the window holds the newest events only and points at the server-side totals.
export const WINDOW_CAP = 200_000;
/// What GET /events serves per request today (docs/api.md: limit 1..1000).
export const SERVER_PAGE = 1000;

export type WindowData =
  | { kind: 'columnar'; bytes: Uint8Array; truncated: boolean }
  | { kind: 'events'; events: SesEvent[]; truncated: boolean };

/// How many time slices of the window are fetched at once when the server pages: cursors are
/// sequential, slices are not, so the server's worker threads share the work.
export const PARALLEL_SLICES = 4;

/// All events in [from, to), newest first: one columnar response when the server sends the whole
/// window at once; otherwise JSON pages followed through their cursors, over a few time slices in
/// parallel (the core builds the same batch from them, only slower).
export async function fetchWindow(
  from: string,
  to: string,
  cap = WINDOW_CAP,
  onProgress?: (loaded: number) => void,
): Promise<Result<WindowData>> {
  const q = new URLSearchParams({ from, to, limit: String(cap) });
  const r = await request('GET', '/events', { query: q, accept: COLUMNAR });
  if (r.ok) {
    const bytes = new Uint8Array(await r.value.arrayBuffer());
    return {
      ok: true,
      value: { kind: 'columnar', bytes, truncated: r.value.headers.get('X-Next-Cursor') !== null },
    };
  }
  if (r.error.code !== 'validation.limit') return r;

  const slices = timeSlices(Date.parse(from), Date.parse(to), PARALLEL_SLICES);
  let loaded = 0;
  const results = await Promise.all(
    slices.map(async ([a, b]) => {
      const events: SesEvent[] = [];
      let cursor: string | null = null;
      do {
        const p = new URLSearchParams({
          from: new Date(a).toISOString(),
          to: new Date(b).toISOString(),
          limit: String(Math.min(SERVER_PAGE, cap - events.length)),
        });
        if (cursor) p.set('cursor', cursor);
        const page = await json<EventsPage>('GET', '/events', { query: p });
        if (!page.ok) return page;
        for (const e of page.value.events) events.push(e);
        cursor = page.value.next;
        onProgress?.((loaded += page.value.events.length));
      } while (cursor && events.length < cap);
      return { ok: true as const, value: { events, more: cursor !== null } };
    }),
  );
  const events: SesEvent[] = [];
  let truncated = false;
  for (const res of results) {
    // newest slice first
    if (!res.ok) return res;
    truncated ||= res.value.more;
    for (const e of res.value.events) events.push(e);
  }
  if (events.length > cap) {
    events.length = cap;
    truncated = true;
  }
  return { ok: true, value: { kind: 'events', events, truncated } };
}

/// [from, to) cut into n adjacent slices, newest first; ends exclusive, so no event is in two.
export function timeSlices(from: number, to: number, n: number): [number, number][] {
  const out: [number, number][] = [];
  const step = Math.max(1, Math.ceil((to - from) / n));
  for (let end = to; end > from; end -= step) out.push([Math.max(from, end - step), end]);
  return out;
}

export interface EventsPage {
  events: SesEvent[];
  next: string | null;
}
