// Histories (a recipient's, a message's) come a page at a time: the first page is fetched as a
// resource, the following ones on request and appended here.
import { createSignal } from 'solid-js';
import type { Result } from './types';

export interface Paged {
  next: string | null;
}

export function createMorePages<P extends Paged>(
  fetchPage: (cursor: string) => Promise<Result<P>>,
) {
  const [pages, setPages] = createSignal<P[]>([]);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  /// The cursor after everything shown: the last fetched page's, else the first page's.
  const next = (first: P): string | null => {
    const p = pages();
    return p.length ? p[p.length - 1].next : first.next;
  };
  async function more(first: P): Promise<void> {
    const cursor = next(first);
    if (!cursor || busy()) return;
    setBusy(true);
    setError(null);
    const r = await fetchPage(cursor);
    setBusy(false);
    if (r.ok) setPages([...pages(), r.value]);
    else setError(r.error.message);
  }
  /// The first page changed (another address, a refetch): forget the pages after it.
  const reset = (): void => {
    setPages([]);
    setError(null);
  };
  return { pages, busy, error, next, more, reset };
}
