// The rows a virtualised list renders: only those in view plus a margin, so 100 000 rows cost
// what 40 do.
export interface Window {
  start: number;
  end: number;
  offset: number;
  total: number;
}

export function visibleWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  count: number,
  overscan = 8,
): Window {
  const total = count * rowHeight;
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0, total: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const start = Math.max(0, Math.min(count - 1, first) - overscan);
  const end = Math.min(count, first + Math.ceil(Math.max(0, viewport) / rowHeight) + 1 + overscan);
  return { start, end, offset: start * rowHeight, total };
}
