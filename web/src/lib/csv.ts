// CSV for exports (RFC 4180: CRLF, quotes doubled). Cells that a spreadsheet would run as a formula
// (=, +, -, @, tab, CR at the start) are prefixed with an apostrophe: subjects and addresses come
// from strangers' mail.
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',');
}

export function toCsv(header: readonly string[], rows: Iterable<readonly unknown[]>): string {
  const out = [csvRow(header)];
  for (const r of rows) out.push(csvRow(r));
  return out.join('\r\n') + '\r\n';
}

/// Starts a download of `text` in the browser.
export function download(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
