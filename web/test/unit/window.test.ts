// fetchWindow: one columnar response when the server allows it, else JSON pages through cursors.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchWindow, timeSlices } from '../../src/modules/events/events.api';

afterEach(() => {
  vi.unstubAllGlobals();
});

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

describe('fetchWindow', () => {
  it('takes the columnar answer when the server sends the whole window', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push(`${url} ${(init.headers as Record<string, string>).Accept}`);
      return new Response(new Uint8Array([1, 2, 3]), { status: 200 });
    });
    const r = await fetchWindow('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', 5000);
    expect(r.ok && r.value.kind).toBe('columnar');
    expect(r.ok && r.value.kind === 'columnar' && [...r.value.bytes]).toEqual([1, 2, 3]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain('limit=5000');
    expect(calls[0]).toContain('application/vnd.sesami.columnar');
  });

  // A server holding `count` events an hour apart that pages `size` at a time, newest first, like
  // GET /events, and refuses JSON or columnar pages over 1000.
  const T0 = Date.parse('2026-01-01T00:00:00.000Z');
  const events = (count: number) =>
    Array.from({ length: count }, (_, k) => ({
      id: `e${k}`,
      timestamp: new Date(T0 + k * 3600_000).toISOString(),
    }));
  function pagingServer(
    all: { id: string; timestamp: string }[],
    size: number,
    seen: string[] = [],
  ) {
    return async (url: string) => {
      const q = new URL(url, 'http://x').searchParams;
      seen.push(q.toString());
      if (Number(q.get('limit')) > 1000)
        return jsonResponse(
          { error: { code: 'validation.limit', message: 'limit must be 1..1000' } },
          400,
        );
      const from = Date.parse(q.get('from')!),
        to = Date.parse(q.get('to')!);
      const inRange = all
        .filter((e) => Date.parse(e.timestamp) >= from && Date.parse(e.timestamp) < to)
        .reverse();
      const offset = Number(q.get('cursor') ?? 0);
      const n = Math.min(size, Number(q.get('limit')));
      const next = offset + n < inRange.length ? String(offset + n) : null;
      return jsonResponse({ events: inRange.slice(offset, offset + n), next });
    };
  }
  const ids = (r: Awaited<ReturnType<typeof fetchWindow>>) => {
    if (!r.ok || r.value.kind !== 'events') throw new Error('expected JSON events');
    return r.value.events.map((e) => (e as unknown as { id: string }).id);
  };

  it('follows JSON cursors over parallel time slices when the server caps the page size', async () => {
    const all = events(10);
    const seen: string[] = [];
    vi.stubGlobal('fetch', pagingServer(all, 1, seen));
    const progress: number[] = [];
    const r = await fetchWindow(
      new Date(T0).toISOString(),
      new Date(T0 + 10 * 3600_000).toISOString(),
      5000,
      (n) => progress.push(n),
    );
    // Every event once, newest first, whatever the slicing.
    expect(ids(r)).toEqual(all.map((e) => e.id).reverse());
    expect(r.ok && r.value.truncated).toBe(false);
    expect(progress[progress.length - 1]).toBe(10);
    expect(seen.some((q) => q.includes('cursor='))).toBe(true);
  });

  it('keeps the newest events when the window holds more than the cap', async () => {
    const all = events(2000);
    vi.stubGlobal('fetch', pagingServer(all, 1000));
    const r = await fetchWindow(
      new Date(T0).toISOString(),
      new Date(T0 + 2000 * 3600_000).toISOString(),
      1500,
    );
    const got = ids(r);
    expect(got).toHaveLength(1500);
    expect(got).toEqual(
      all
        .map((e) => e.id)
        .reverse()
        .slice(0, 1500),
    );
    expect(r.ok && r.value.truncated).toBe(true);
  });

  it('cuts a range into adjacent slices, newest first', () => {
    expect(timeSlices(0, 100, 4)).toEqual([
      [75, 100],
      [50, 75],
      [25, 50],
      [0, 25],
    ]);
    expect(timeSlices(0, 10, 4)).toEqual([
      [7, 10],
      [4, 7],
      [1, 4],
      [0, 1],
    ]);
    expect(timeSlices(5, 5, 4)).toEqual([]);
  });

  it('passes other errors through', async () => {
    vi.stubGlobal('fetch', async () =>
      jsonResponse({ error: { code: 'auth.unauthenticated', message: 'sign in' } }, 401),
    );
    const r = await fetchWindow('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toEqual({ status: 401, code: 'auth.unauthenticated', message: 'sign in' });
  });
});
