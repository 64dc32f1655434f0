import { makeDatabase, serve, OWNER } from './test/e2e/harness.mjs';
const db = await makeDatabase(100000); const s = await serve(db.db);
try {
  const r = await fetch(s.url + '/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(OWNER) });
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const to = new Date().toISOString(), from = new Date(Date.now() - 90 * 86400000).toISOString();
  let cursor = null, n = 0, t0 = performance.now(), bytes = 0, parse = 0;
  do {
    const q = new URLSearchParams({ from, to, limit: '1000' }); if (cursor) q.set('cursor', cursor);
    const res = await fetch(`${s.url}/events?${q}`, { headers: { cookie } });
    const text = await res.text(); bytes += text.length;
    const p0 = performance.now(); const j = JSON.parse(text); parse += performance.now() - p0;
    n += j.events.length; cursor = j.next;
  } while (cursor);
  console.log(`json pages: ${n} events, ${(bytes/1e6).toFixed(1)} MB, ${(performance.now() - t0).toFixed(0)} ms total, parse ${parse.toFixed(0)} ms`);
  cursor = null; n = 0; t0 = performance.now(); bytes = 0;
  do {
    const q = new URLSearchParams({ from, to, limit: '1000' }); if (cursor) q.set('cursor', cursor);
    const res = await fetch(`${s.url}/events?${q}`, { headers: { cookie, Accept: 'application/vnd.sesami.columnar' } });
    const b = await res.arrayBuffer(); bytes += b.byteLength; cursor = res.headers.get('X-Next-Cursor'); n++;
  } while (cursor);
  console.log(`columnar pages: ${n} pages, ${(bytes/1e6).toFixed(1)} MB, ${(performance.now() - t0).toFixed(0)} ms total`);
} finally { await s.stop(); db.cleanup(); }
