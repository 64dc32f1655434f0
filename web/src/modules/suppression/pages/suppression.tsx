// The suppression list: search, add, remove, CSV import and export; reason and source per entry.
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { addSuppression, exportSuppressionsCsv, importSuppressionsCsv, listSuppressions, removeSuppression,
  type SuppressionEntry } from '../suppression.api';
import { Async, Empty } from '../../../components/states';
import { canWrite, role } from '../../auth/session';
import { download } from '../../../lib/csv';
import { href } from '../../../lib/router';
import { formatTime } from '../../../lib/time';
import type { ApiError } from '../../../lib/types';

export function SuppressionPage(): JSX.Element {
  const [query, setQuery] = createSignal('');
  const [data, { refetch }] = createResource(query, (q) => listSuppressions(q));
  const [address, setAddress] = createSignal('');
  const [reason, setReason] = createSignal('manual');
  const [error, setError] = createSignal<ApiError | null>(null);
  const [notice, setNotice] = createSignal('');
  let timer: ReturnType<typeof setTimeout> | undefined;

  const done = (r: { ok: boolean; error?: ApiError }, ok: string) => {
    if (!r.ok) { setError(r.error ?? null); setNotice(''); return false; }
    setError(null); setNotice(ok); refetch(); return true;
  };
  const add = async (e: Event) => {
    e.preventDefault();
    const a = address().trim().toLowerCase();
    if (!a) return;
    if (done(await addSuppression(a, reason().trim() || 'manual'), `${a} added.`)) setAddress('');
  };
  const remove = async (x: SuppressionEntry) => { done(await removeSuppression(x.address), `${x.address} removed.`); };
  const exportCsv = async () => {
    const r = await exportSuppressionsCsv();
    if (r.ok) download('sesami-suppression-list.csv', r.value); else setError(r.error);
  };
  const importCsv = async (file: File | undefined) => {
    if (!file) return;
    const r = await importSuppressionsCsv(await file.text());
    if (!r.ok) { setError(r.error); return; }
    const v = r.value;
    done(r, `Read ${v.read} entries, added ${v.added}${v.problems.length ? `; ${v.problems.length} lines skipped (line ${v.problems[0].line}: ${v.problems[0].message})` : ''}.`);
  };

  return (
    <section class="page" aria-labelledby="supp-title">
      <header class="page-head">
        <h1 id="supp-title">Suppression list</h1>
        <div class="actions">
          <button type="button" onClick={exportCsv}>Export CSV</button>
          <Show when={canWrite(role())}>
            <label class="button">Import CSV<input type="file" accept=".csv,text/csv" class="sr-only" data-testid="import-csv"
              onChange={(e) => importCsv(e.currentTarget.files?.[0])} /></label>
          </Show>
        </div>
      </header>
      <div class="row wrap gap">
        <label class="field grow">Search<input type="search" name="q" placeholder="part of an address"
          onInput={(e) => { const v = e.currentTarget.value; clearTimeout(timer); timer = setTimeout(() => setQuery(v.trim().toLowerCase()), 250); }} /></label>
        <Show when={canWrite(role())}>
          <form class="row gap end" onSubmit={add} aria-label="Add an address">
            <label class="field">Address<input type="email" name="address" required value={address()} onInput={(e) => setAddress(e.currentTarget.value)} /></label>
            <label class="field">Reason<input name="reason" value={reason()} onInput={(e) => setReason(e.currentTarget.value)} /></label>
            <button type="submit" class="primary">Add</button>
          </form>
        </Show>
      </div>
      <Show when={error()}>{(e) => <p class="form-error" role="alert">{e().message}</p>}</Show>
      <Show when={notice()}><p class="notice" role="status">{notice()}</p></Show>
      <Async data={data()} retry={refetch}>{(page) => (
        <>
          <p class="muted small" data-testid="last-sync">Last sync with SES's account-level list: {page.lastSync ? formatTime(page.lastSync) : 'never (no AWS connection)'}</p>
          <Show when={page.entries.length} fallback={<Empty>{query() ? 'No address matches.' : 'The suppression list is empty.'}</Empty>}>
            <table class="table" aria-label="Suppressed addresses">
              <thead><tr><th scope="col">Address</th><th scope="col">Reason</th><th scope="col">Source</th><th scope="col">Since</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
              <tbody><For each={page.entries}>{(x) => (
                <tr data-address={x.address}>
                  <td><a href={href(`/recipients/${encodeURIComponent(x.address)}`)}>{x.address}</a></td>
                  <td>{x.reason}</td><td><span class="badge">{x.source}</span></td><td>{formatTime(x.createdAt)}</td>
                  <td><Show when={canWrite(role())}><button type="button" class="link danger" onClick={() => remove(x)} aria-label={`Remove ${x.address}`}>Remove</button></Show></td>
                </tr>
              )}</For></tbody>
            </table>
            <Show when={page.next}><p class="muted small">Showing the first {page.entries.length}; search to narrow down.</p></Show>
          </Show>
        </>
      )}</Async>
    </section>
  );
}
