// Explore a file: an SES export (JSON Lines, SNS or EventBridge payloads) parsed and explored with
// the wasm core in this tab. Nothing is uploaded; no server data is involved.
import { createMemo, createSignal, onCleanup, Show, type JSX, For } from 'solid-js';
import { engine, type EventWindow, type Selection } from '../../../lib/sesami';
import { bucketFor } from '../../../lib/time';
import { DEFAULT_VIEW, toFilter, type ViewState } from '../../../lib/filter';
import { ActivityChart, RateAlerts, TopLists, TotalsCards } from '../../../components/activity';
import { VirtualTable } from '../../../components/virtual-table';
import { ErrorBox, Loading, Empty } from '../../../components/states';
import { EVENT_COLUMNS } from '../../events/pages/events';
import { FilterBar } from '../../events/components/filter-bar';
import { rowsCsv } from '../../../lib/event-text';
import { download } from '../../../lib/csv';
import type { ApiError, Diagnostic } from '../../../lib/types';

interface Loaded {
  name: string;
  win: EventWindow;
  diagnostics: Diagnostic[];
  ms: number;
}

export function ExplorePage(): JSX.Element {
  const [loaded, setLoaded] = createSignal<Loaded | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<ApiError | null>(null);
  const [dragging, setDragging] = createSignal(false);
  // The file's own span replaces date presets: the range is everything in the file.
  const [view, setView] = createSignal<ViewState>({ ...DEFAULT_VIEW, preset: 'custom' });
  onCleanup(() => loaded()?.win.dispose());

  const open = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    const t0 = performance.now();
    const [eng, bytes] = await Promise.all([
      engine(),
      file.arrayBuffer().then((b) => new Uint8Array(b)),
    ]);
    if (!eng.ok) {
      setBusy(false);
      setError(eng.error);
      return;
    }
    // A saved GET /events columnar response loads as is; anything else is text for the parser.
    const columnar = eng.value.fromColumnar(bytes);
    const r = columnar.ok
      ? { ok: true as const, value: { window: columnar.value, diagnostics: [] } }
      : eng.value.fromText(new TextDecoder().decode(bytes));
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    loaded()?.win.dispose();
    const span = r.value.window.span();
    setView({
      ...DEFAULT_VIEW,
      preset: 'custom',
      from: new Date(span.from).toISOString(),
      to: new Date(span.to + 1).toISOString(),
    });
    setLoaded({
      name: file.name,
      win: r.value.window,
      diagnostics: r.value.diagnostics,
      ms: performance.now() - t0,
    });
  };

  const [filterMs, setFilterMs] = createSignal(0);
  const [aggMs, setAggMs] = createSignal(0);
  const selection = createMemo<Selection | undefined>((prev) => {
    prev?.dispose();
    const l = loaded();
    if (!l) return undefined;
    const t0 = performance.now();
    const r = l.win.select(toFilter(view(), Date.now()));
    setFilterMs(performance.now() - t0);
    setError(r.ok ? null : r.error);
    return r.ok ? r.value : undefined;
  });
  onCleanup(() => selection()?.dispose());
  const agg = createMemo(() => {
    const s = selection();
    const v = view();
    if (!s || !v.from || !v.to) return undefined;
    const from = Date.parse(v.from),
      to = Date.parse(v.to);
    const t0 = performance.now();
    const a = s.aggregate(bucketFor(to - from), from, to);
    setAggMs(performance.now() - t0);
    return a.ok ? a.value : undefined;
  });

  return (
    <section class="page" aria-labelledby="explore-title">
      <header class="page-head">
        <h1 id="explore-title">Explore a file</h1>
        <Show when={selection()?.count}>
          <button
            type="button"
            onClick={() => {
              const s = selection()!;
              download(
                'sesami-explore.csv',
                rowsCsv(s.count, (i) => s.row(i)),
              );
            }}
          >
            Export CSV
          </button>
        </Show>
      </header>
      <label
        class={`dropzone ${dragging() ? 'over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void open(e.dataTransfer?.files?.[0]);
        }}
      >
        <input
          type="file"
          class="sr-only"
          accept=".json,.jsonl,.ndjson,.txt,application/json"
          data-testid="explore-file"
          onChange={(e) => void open(e.currentTarget.files?.[0])}
        />
        <strong>Drop an SES export here</strong> or press to choose a file.
        <span class="muted small">
          JSON Lines, SNS or EventBridge payloads, or a saved columnar <code>GET /events</code>{' '}
          response. Parsed in this tab by the wasm core: nothing is uploaded.
        </span>
      </label>
      <Show when={busy()}>
        <Loading label="Parsing in the browser…" />
      </Show>
      <Show when={error()}>{(e) => <ErrorBox error={e()} />}</Show>
      <Show when={loaded()}>
        {(l) => (
          <>
            <p class="muted small" data-testid="explore-summary" data-count={l().win.size}>
              <b>{l().name}</b>: {l().win.size.toLocaleString('en-US')} events parsed in{' '}
              {l().ms.toFixed(0)} ms
              <Show when={l().diagnostics.length}> · {l().diagnostics.length} items skipped</Show>
            </p>
            <p
              class="muted small"
              data-testid="perf"
              data-count={selection()?.count ?? 0}
              data-filter-ms={filterMs().toFixed(2)}
              data-aggregate-ms={aggMs().toFixed(2)}
            >
              <b data-testid="match-count">{(selection()?.count ?? 0).toLocaleString('en-US')}</b>{' '}
              match · filtered in {filterMs().toFixed(1)} ms, aggregated in {aggMs().toFixed(1)} ms
              (wasm)
            </p>
            <Show when={l().diagnostics.length}>
              <details class="card">
                <summary>{l().diagnostics.length} problems</summary>
                <ul class="small mono">
                  <For each={l().diagnostics.slice(0, 100)}>
                    {(d) => (
                      <li>
                        line {d.line}: {d.code} — {d.message}
                      </li>
                    )}
                  </For>
                </ul>
              </details>
            </Show>
            <FilterBar view={view()} onChange={setView} />
            <Show when={agg()}>
              {(a) => (
                <>
                  <RateAlerts agg={a()} />
                  <TotalsCards agg={a()} />
                  <ActivityChart id="explore-chart" agg={a()} />
                  <TopLists agg={a()} />
                </>
              )}
            </Show>
            <Show when={selection()?.count} fallback={<Empty>No events match.</Empty>}>
              <VirtualTable
                label="Events in the file"
                columns={EVENT_COLUMNS}
                count={selection()!.count}
                row={(i) => selection()!.row(i)}
                height={420}
              />
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
