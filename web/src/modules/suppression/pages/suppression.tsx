// The suppression list: search, add, remove, CSV import and export; reason and source per entry;
// the last sync with SES's account-level list.
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import {
  addSuppression,
  exportSuppressionsCsv,
  fetchLastSync,
  importSuppressionsCsv,
  listSuppressions,
  removeSuppression,
  setSuppressionReason,
  syncNow,
  type SuppressionEntry,
} from '../suppression.api';
import { changeText, syncErrorText, syncSummary } from '../sync';
import { awsErrorHint } from '../../settings/aws';
import { Async, Empty } from '../../../components/states';
import { canAdmin, canWrite, role } from '../../auth/session';
import { download } from '../../../lib/csv';
import { href } from '../../../lib/router';
import { formatTime } from '../../../lib/time';
import type { ApiError } from '../../../lib/types';

/// The last synchronisation with SES's account-level suppression list, and "Sync now" (admins).
function SyncPanel(props: { onSynced: () => void }): JSX.Element {
  const [last, { refetch, mutate }] = createResource(fetchLastSync);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<ApiError | null>(null);
  const [fresh, setFresh] = createSignal(false); // the record shown is the sync just run
  const sync = async () => {
    setBusy(true);
    setError(null);
    setFresh(false);
    const r = await syncNow();
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    mutate(r);
    setFresh(true);
    props.onSynced();
  };
  return (
    <section class="card stack" aria-labelledby="sync-title" data-testid="sync">
      <div class="row wrap gap">
        <h2 id="sync-title" class="grow">
          Sync with SES
        </h2>
        <Show when={canAdmin(role())}>
          <button
            type="button"
            onClick={sync}
            disabled={busy()}
            aria-busy={busy()}
            data-testid="sync-now"
          >
            {busy() ? 'Syncing…' : 'Sync now'}
          </button>
        </Show>
      </div>
      <p class="small muted">
        Brings this list and your AWS account's suppression list together, both ways.
      </p>
      <Async data={last()} retry={refetch}>
        {(r) => (
          <div data-testid="last-sync" data-at={r.at ?? ''} aria-live="polite">
            <Show when={r.at} fallback={<p class="small">Never synced with SES.</p>}>
              <p class="small">
                <span class={fresh() ? 'notice' : ''}>
                  {fresh() ? 'Synced just now' : 'Last sync'}
                </span>{' '}
                {formatTime(r.at!)}. <span data-testid="sync-summary">{syncSummary(r)}</span>
                <Show when={r.trigger === 'schedule'}>
                  {' '}
                  <span class="muted">(scheduled)</span>
                </Show>
              </p>
              <Show when={r.changes?.length}>
                <details class="more" open={fresh()}>
                  <summary>What changed ({r.changes!.length})</summary>
                  <ul class="small" data-testid="sync-changes">
                    <For each={r.changes!.slice(0, 50)}>{(c) => <li>{changeText(c)}</li>}</For>
                  </ul>
                  <Show when={r.changes!.length > 50}>
                    <p class="small muted">and {r.changes!.length - 50} more.</p>
                  </Show>
                </details>
              </Show>
              <Show when={r.errors?.length}>
                <div class="alert" role={fresh() ? 'alert' : undefined}>
                  <p>
                    <strong>
                      {r.errors!.length} problem{r.errors!.length === 1 ? '' : 's'} during the sync:
                    </strong>
                  </p>
                  <ul class="small" data-testid="sync-errors">
                    <For each={r.errors!.slice(0, 20)}>{(e) => <li>{syncErrorText(e)}</li>}</For>
                  </ul>
                  <Show when={r.errors!.length > 20}>
                    <p class="small muted">and {r.errors!.length - 20} more.</p>
                  </Show>
                </div>
              </Show>
            </Show>
          </div>
        )}
      </Async>
      <Show when={error()}>
        {(e) => (
          <div class="alert level-review" role="alert" data-code={e().code}>
            <p>
              <strong>Sync failed.</strong> {e().message} <code class="muted">({e().code})</code>
            </p>
            <Show
              when={e().code === 'aws.not_connected'}
              fallback={
                <Show when={awsErrorHint(e())}>
                  <p class="small">{awsErrorHint(e())}</p>
                </Show>
              }
            >
              <p class="small">
                Syncing needs an AWS connection:{' '}
                <a href={href('/settings')}>connect a role in Settings</a>.
              </p>
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}

export function SuppressionPage(): JSX.Element {
  const [query, setQuery] = createSignal('');
  const [reasonFilter, setReasonFilter] = createSignal('');
  const [source, setSource] = createSignal('');
  const filter = () => ({ contains: query(), reason: reasonFilter(), source: source() });
  const [data, { refetch }] = createResource(filter, (f) => listSuppressions(f));
  const [editing, setEditing] = createSignal<string | null>(null);
  const [address, setAddress] = createSignal('');
  const [reason, setReason] = createSignal('manual');
  const [error, setError] = createSignal<ApiError | null>(null);
  const [notice, setNotice] = createSignal('');
  let timer: ReturnType<typeof setTimeout> | undefined;

  const done = (r: { ok: boolean; error?: ApiError }, ok: string) => {
    if (!r.ok) {
      setError(r.error ?? null);
      setNotice('');
      return false;
    }
    setError(null);
    setNotice(ok);
    refetch();
    return true;
  };
  const add = async (e: Event) => {
    e.preventDefault();
    const a = address().trim().toLowerCase();
    if (!a) return;
    if (done(await addSuppression(a, reason().trim() || 'manual'), `${a} added.`)) setAddress('');
  };
  const remove = async (x: SuppressionEntry) => {
    done(await removeSuppression(x.address), `${x.address} removed.`);
  };
  const saveReason = async (x: SuppressionEntry, e: Event) => {
    e.preventDefault();
    const v = (
      (e.currentTarget as HTMLFormElement).elements.namedItem('new-reason') as HTMLInputElement
    ).value.trim();
    if (!v) return;
    if (done(await setSuppressionReason(x.address, v), `Reason of ${x.address} changed.`))
      setEditing(null);
  };
  const exportCsv = async () => {
    const r = await exportSuppressionsCsv();
    if (r.ok) download('sesami-suppression-list.csv', r.value);
    else setError(r.error);
  };
  const importCsv = async (file: File | undefined) => {
    if (!file) return;
    const r = await importSuppressionsCsv(await file.text());
    if (!r.ok) {
      setError(r.error);
      return;
    }
    const v = r.value;
    done(
      r,
      `Read ${v.read} entries, added ${v.added}${v.problems.length ? `; ${v.problems.length} lines skipped (line ${v.problems[0].line}: ${v.problems[0].message})` : ''}.`,
    );
  };

  return (
    <section class="page" aria-labelledby="supp-title">
      <header class="page-head">
        <h1 id="supp-title">Suppression list</h1>
        <div class="actions">
          <button type="button" onClick={exportCsv}>
            Export CSV
          </button>
          <Show when={canWrite(role())}>
            <label class="button">
              Import CSV
              <input
                type="file"
                accept=".csv,text/csv"
                class="sr-only"
                data-testid="import-csv"
                onChange={(e) => importCsv(e.currentTarget.files?.[0])}
              />
            </label>
          </Show>
        </div>
      </header>
      <div class="row wrap gap">
        <label class="field grow">
          Search
          <input
            type="search"
            name="q"
            placeholder="part of an address"
            onInput={(e) => {
              const v = e.currentTarget.value;
              clearTimeout(timer);
              timer = setTimeout(() => setQuery(v.trim().toLowerCase()), 250);
            }}
          />
        </label>
        <label class="field">
          Reason is
          <input
            name="reason-filter"
            list="reasons"
            placeholder="any"
            onChange={(e) => setReasonFilter(e.currentTarget.value.trim())}
          />
        </label>
        <datalist id="reasons">
          <option value="hard-bounce" />
          <option value="complaint" />
          <option value="unsubscribe" />
          <option value="manual" />
          <option value="imported" />
        </datalist>
        <label class="field">
          Source
          <select
            name="source-filter"
            value={source()}
            onChange={(e) => setSource(e.currentTarget.value)}
          >
            <option value="">any</option>
            <option value="event">event</option>
            <option value="manual">manual</option>
            <option value="import">import</option>
            <option value="ses-sync">SES sync</option>
          </select>
        </label>
        <Show when={canWrite(role())}>
          <form class="row wrap gap end" onSubmit={add} aria-label="Add an address">
            <label class="field">
              Address
              <input
                type="email"
                name="address"
                required
                value={address()}
                onInput={(e) => setAddress(e.currentTarget.value)}
              />
            </label>
            <label class="field">
              Reason
              <input
                name="reason"
                value={reason()}
                onInput={(e) => setReason(e.currentTarget.value)}
              />
            </label>
            <button type="submit" class="primary">
              Add
            </button>
          </form>
        </Show>
      </div>
      <SyncPanel onSynced={refetch} />
      <Show when={error()}>
        {(e) => (
          <p class="form-error" role="alert">
            {e().message}
          </p>
        )}
      </Show>
      <Show when={notice()}>
        <p class="notice" role="status">
          {notice()}
        </p>
      </Show>
      <Async data={data()} retry={refetch}>
        {(page) => (
          <>
            <Show
              when={page.entries.length}
              fallback={
                <Empty>
                  {query() || reasonFilter() || source()
                    ? 'No address matches.'
                    : 'The suppression list is empty.'}
                </Empty>
              }
            >
              <table class="table" aria-label="Suppressed addresses">
                <thead>
                  <tr>
                    <th scope="col">Address</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Source</th>
                    <th scope="col">Since</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  <For each={page.entries}>
                    {(x) => (
                      <tr data-address={x.address}>
                        <td>
                          <a href={href(`/recipients/${encodeURIComponent(x.address)}`)}>
                            {x.address}
                          </a>
                        </td>
                        <td>
                          <Show when={editing() === x.address} fallback={x.reason}>
                            <form
                              class="row gap"
                              onSubmit={(e) => saveReason(x, e)}
                              aria-label={`New reason for ${x.address}`}
                            >
                              <input
                                name="new-reason"
                                value={x.reason}
                                required
                                maxLength={500}
                                aria-label="Reason"
                              />
                              <button type="submit">Save</button>
                              <button type="button" class="link" onClick={() => setEditing(null)}>
                                Cancel
                              </button>
                            </form>
                          </Show>
                        </td>
                        <td>
                          <span class="badge">{x.source}</span>
                        </td>
                        <td>{formatTime(x.createdAt)}</td>
                        <td>
                          <Show when={canWrite(role())}>
                            <button
                              type="button"
                              class="link"
                              onClick={() => setEditing(x.address)}
                              aria-label={`Edit reason for ${x.address}`}
                            >
                              Edit reason
                            </button>{' '}
                            <button
                              type="button"
                              class="link danger"
                              onClick={() => remove(x)}
                              aria-label={`Remove ${x.address}`}
                            >
                              Remove
                            </button>
                          </Show>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              <Show when={page.next}>
                <p class="muted small">
                  Showing the first {page.entries.length}; search to narrow down.
                </p>
              </Show>
            </Show>
          </>
        )}
      </Async>
    </section>
  );
}
