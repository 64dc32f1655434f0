// Events: the window of events for the chosen range is loaded once into wasm memory; every other
// filter change re-filters and re-aggregates there, locally, without a round trip.
import {
  createEffect,
  createMemo,
  createResource,
  createSignal,
  on,
  onCleanup,
  Show,
  type JSX,
} from 'solid-js';
import { FilterBar } from '../components/filter-bar';
import { fetchWindow, WINDOW_CAP } from '../events.api';
import { engine, type EventWindow, type Selection } from '../../../lib/sesami';
import { parseView, serializeView, toFilter, viewRange, type ViewState } from '../../../lib/filter';
import { location, navigate, href } from '../../../lib/router';
import { bucketFor, formatTime } from '../../../lib/time';
import { ActivityChart, RateAlerts, TopLists, TotalsCards } from '../../../components/activity';
import { VirtualTable, type Column } from '../../../components/virtual-table';
import { ErrorBox, Loading, Empty } from '../../../components/states';
import { rowDetail, rowsCsv, TYPE_LABELS, type EventRow } from '../../../lib/event-text';
import { download } from '../../../lib/csv';
import type { ApiError } from '../../../lib/types';

export const EVENT_COLUMNS: Column<EventRow>[] = [
  {
    key: 'timestamp',
    label: 'Time (UTC)',
    width: '11rem',
    cell: (e) => formatTime(e.timestamp).replace(' UTC', ''),
  },
  {
    key: 'type',
    label: 'Type',
    width: '7.5rem',
    cell: (e) => <span class={`badge t-${e.type}`}>{TYPE_LABELS[e.type] ?? e.type}</span>,
  },
  {
    key: 'recipient',
    label: 'Recipient',
    width: 'minmax(10rem, 1.2fr)',
    cell: (e) =>
      e.recipient ? (
        <a href={href(`/recipients/${encodeURIComponent(e.recipient)}`)} class="ellipsis">
          {e.recipient}
        </a>
      ) : (
        <span class="muted">—</span>
      ),
  },
  {
    key: 'subject',
    label: 'Subject',
    width: 'minmax(8rem, 1fr)',
    cell: (e) => (
      <span class="ellipsis" title={e.subject}>
        {e.subject}
      </span>
    ),
  },
  {
    key: 'detail',
    label: 'Detail',
    width: 'minmax(10rem, 1.2fr)',
    cell: (e) => (
      <span class="ellipsis" title={rowDetail(e)}>
        {rowDetail(e)}
      </span>
    ),
  },
  {
    key: 'machine',
    label: 'Machine',
    width: '6rem',
    cell: (e) => (e.machine ? <span class="badge machine">machine</span> : ''),
  },
  {
    key: 'messageId',
    label: 'Message',
    width: '8rem',
    cell: (e) => (
      <a
        href={href(`/messages/${encodeURIComponent(e.messageId)}`)}
        class="ellipsis mono"
        title={e.messageId}
      >
        {e.messageId}
      </a>
    ),
  },
];

export function EventsPage(): JSX.Element {
  const view = createMemo(() => parseView(location().params), undefined, {
    equals: (a, b) => serializeView(a).toString() === serializeView(b).toString(),
  });
  const setView = (v: ViewState) => navigate('/events', serializeView(v), true);

  // The window depends on the range only. A preset's range is fixed when the window loads (so a
  // re-filter does not move "now" and refetch); reloading the page moves it.
  const rangeKey = createMemo(() => {
    const v = view();
    return v.preset === 'custom' ? `${v.from}|${v.to}` : v.preset;
  });
  const [now, setNow] = createSignal(Date.now());
  const [progress, setProgress] = createSignal(0);
  const [win, { refetch }] = createResource(
    rangeKey,
    async (): Promise<{ win?: EventWindow; error?: ApiError; ms: number; truncated?: boolean }> => {
      const t0 = performance.now();
      const at = Date.now();
      setNow(at);
      setProgress(0);
      const r = viewRange(view(), at);
      const [eng, data] = await Promise.all([
        engine(),
        fetchWindow(
          new Date(r.from).toISOString(),
          new Date(r.to).toISOString(),
          WINDOW_CAP,
          setProgress,
        ),
      ]);
      if (!eng.ok) return { error: eng.error, ms: 0 };
      if (!data.ok) return { error: data.error, ms: 0 };
      const d = data.value;
      const w =
        d.kind === 'columnar' ? eng.value.fromColumnar(d.bytes) : eng.value.fromEvents(d.events);
      if (!w.ok) return { error: w.error, ms: 0 };
      return { win: w.value, ms: performance.now() - t0, truncated: d.truncated };
    },
  );
  createEffect(
    on(win, (cur, prev) => {
      if (prev?.win && prev.win !== cur?.win) prev.win.dispose();
    }),
  );
  onCleanup(() => win()?.win?.dispose());

  const [filterMs, setFilterMs] = createSignal(0);
  const [filterError, setFilterError] = createSignal<ApiError | null>(null);
  const selection = createMemo<Selection | undefined>((prev) => {
    prev?.dispose();
    const w = win()?.win;
    if (!w) return undefined;
    const t0 = performance.now();
    const s = w.select(toFilter(view(), now()));
    setFilterMs(performance.now() - t0);
    setFilterError(s.ok ? null : s.error);
    return s.ok ? s.value : undefined;
  });
  onCleanup(() => selection()?.dispose());

  const [aggMs, setAggMs] = createSignal(0);
  const agg = createMemo(() => {
    const s = selection();
    if (!s) return undefined;
    const r = viewRange(view(), now());
    const t0 = performance.now();
    const a = s.aggregate(bucketFor(r.to - r.from), r.from, r.to);
    setAggMs(performance.now() - t0);
    return a.ok ? a.value : undefined;
  });

  const exportCsv = () => {
    const s = selection();
    if (!s) return;
    download(
      `sesami-events-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.csv`,
      rowsCsv(s.count, (i) => s.row(i)),
    );
  };

  return (
    <section class="page" aria-labelledby="events-title">
      <header class="page-head">
        <h1 id="events-title">Events</h1>
        <div class="actions">
          <button
            type="button"
            onClick={exportCsv}
            disabled={!selection()?.count}
            data-testid="export-csv"
          >
            Export CSV
          </button>
          <button type="button" onClick={() => refetch()}>
            Reload
          </button>
        </div>
      </header>
      <FilterBar view={view()} onChange={setView} />
      <Show
        when={!win.loading || win()}
        fallback={
          <Loading
            label={`Loading events into the browser…${progress() ? ` ${progress().toLocaleString('en-US')}` : ''}`}
          />
        }
      >
        <Show when={!win()?.error} fallback={<ErrorBox error={win()!.error!} retry={refetch} />}>
          <Show when={filterError()}>{(e) => <ErrorBox error={e()} />}</Show>
          {/* Not keyed: a new selection updates the chart and table in place instead of rebuilding them. */}
          <Show when={selection()}>
            {(s) => (
              <>
                <p
                  class="muted small"
                  data-testid="perf"
                  data-count={s().count}
                  data-window={win()?.win?.size}
                  data-from={new Date(viewRange(view(), now()).from).toISOString()}
                  data-to={new Date(viewRange(view(), now()).to).toISOString()}
                  data-load-ms={win()?.ms.toFixed(0)}
                  data-filter-ms={filterMs().toFixed(2)}
                  data-aggregate-ms={aggMs().toFixed(2)}
                >
                  <b data-testid="match-count">{s().count.toLocaleString('en-US')}</b> of{' '}
                  {win()?.win?.size.toLocaleString('en-US')} events in the window · filtered in{' '}
                  {filterMs().toFixed(1)} ms, aggregated in {aggMs().toFixed(1)} ms (wasm)
                  <Show when={win.loading}> · reloading…</Show>
                </p>
                <Show when={win()?.truncated}>
                  <p class="alert" role="status">
                    This range holds more than {WINDOW_CAP.toLocaleString('en-US')} events: the
                    newest are loaded. Narrow the range for exact numbers, or see the Overview
                    (server-side totals).
                  </p>
                </Show>
                <Show when={agg()}>
                  {(a) => (
                    <>
                      <RateAlerts agg={a()} />
                      <TotalsCards agg={a()} />
                      <ActivityChart id="events-chart" agg={a()} />
                      <TopLists agg={a()} />
                    </>
                  )}
                </Show>
                <Show
                  when={s().count > 0}
                  fallback={
                    <Empty>No events match this filter. Widen the range or clear a filter.</Empty>
                  }
                >
                  <VirtualTable
                    label="Events"
                    columns={EVENT_COLUMNS}
                    count={s().count}
                    row={(i) => s().row(i)}
                    onActivate={(e) =>
                      e.recipient && navigate(`/recipients/${encodeURIComponent(e.recipient)}`)
                    }
                  />
                </Show>
              </>
            )}
          </Show>
        </Show>
      </Show>
    </section>
  );
}
