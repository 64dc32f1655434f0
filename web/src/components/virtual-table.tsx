// A virtualised table: only the rows in view exist in the DOM, so 100 000 rows scroll smoothly.
// Rows have a fixed height (one line, ellipsised) so positions are arithmetic, not measurement.
import { createMemo, createSignal, For, Index, onCleanup, onMount, type JSX } from 'solid-js';
import { visibleWindow } from '../lib/virtual';

export interface Column<R> {
  key: string;
  label: string;
  width: string;
  cell: (row: R) => JSX.Element | string;
}

export interface VirtualTableProps<R> {
  columns: Column<R>[];
  count: number;
  row: (index: number) => R;
  rowHeight?: number;
  height?: number;
  label: string;
  onActivate?: (row: R) => void;
}

export function VirtualTable<R>(props: VirtualTableProps<R>): JSX.Element {
  const rowHeight = () => props.rowHeight ?? 32;
  const [scrollTop, setScrollTop] = createSignal(0);
  const [viewport, setViewport] = createSignal(props.height ?? 480);
  let box!: HTMLDivElement;
  const win = createMemo(() => visibleWindow(scrollTop(), viewport(), rowHeight(), props.count));
  const rows = createMemo(() => {
    const w = win();
    const out: { i: number; r: R }[] = [];
    for (let i = w.start; i < w.end; i++) out.push({ i, r: props.row(i) });
    return out;
  });
  const template = () => props.columns.map((c) => c.width).join(' ');

  onMount(() => {
    const ro = new ResizeObserver(() => setViewport(box.clientHeight));
    ro.observe(box);
    onCleanup(() => ro.disconnect());
  });

  // Arrow keys move through rows; the box scrolls to keep the focused row visible.
  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    const idx = Number(t.dataset.index ?? -1);
    if (idx < 0) return;
    let next = idx;
    if (e.key === 'ArrowDown') next = Math.min(props.count - 1, idx + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, idx - 1);
    else if (e.key === 'PageDown') next = Math.min(props.count - 1, idx + 10);
    else if (e.key === 'PageUp') next = Math.max(0, idx - 10);
    else if (e.key === 'Enter' && props.onActivate) {
      props.onActivate(props.row(idx));
      return;
    } else return;
    e.preventDefault();
    const top = next * rowHeight();
    if (top < box.scrollTop) box.scrollTop = top;
    else if (top + rowHeight() > box.scrollTop + box.clientHeight)
      box.scrollTop = top + rowHeight() - box.clientHeight;
    setScrollTop(box.scrollTop);
    queueMicrotask(() =>
      (box.querySelector(`[data-index="${next}"]`) as HTMLElement | null)?.focus(),
    );
  };

  return (
    <div class="vtable" role="table" aria-label={props.label} aria-rowcount={props.count + 1}>
      <div class="vrow vhead" role="row" style={{ 'grid-template-columns': template() }}>
        <For each={props.columns}>{(c) => <div role="columnheader">{c.label}</div>}</For>
      </div>
      <div
        class="vbody"
        ref={box}
        style={{ height: `${props.height ?? 480}px` }}
        onScroll={() => setScrollTop(box.scrollTop)}
        onKeyDown={onKey}
      >
        <div style={{ height: `${win().total}px`, position: 'relative' }}>
          <div style={{ transform: `translateY(${win().offset}px)` }}>
            {/* Index: scrolling and re-filtering reuse the row elements and update their cells. */}
            <Index each={rows()}>
              {(x) => (
                <div
                  class="vrow"
                  role="row"
                  tabindex={x().i === win().start ? 0 : -1}
                  data-index={x().i}
                  aria-rowindex={x().i + 2}
                  style={{ 'grid-template-columns': template(), height: `${rowHeight()}px` }}
                  onDblClick={() => props.onActivate?.(x().r)}
                >
                  <For each={props.columns}>{(c) => <div role="cell">{c.cell(x().r)}</div>}</For>
                </div>
              )}
            </Index>
          </div>
        </div>
      </div>
    </div>
  );
}
