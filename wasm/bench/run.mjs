// `npm run bench`: the wasm package's budgets (issue 6), in one run on one machine.
//   1. size: gzip of the .wasm and the JS the package ships          budget ≤ 300 KB
//   2. filter + aggregate of 1 M events in the columnar batch, wasm vs the native build of the same
//      headers on the same batch                                       budget ≤ 2× native
//   3. end to end, API response bytes → chart series, wasm (columnar bytes → batch → aggregate) vs
//      the idiomatic JS way (JSON.parse + Array.filter + reduce) in the same Node process
//                                                                     budget ≥ 3× faster
// Data: the demo data set (include/sesami/demo.hpp, seed 42), parsed by the package. Every timed
// answer is checked against a reference first. Options: --events N (default 1 000 000),
// --e2e-events N (default 100 000: JSON.parse of 1 M events would exceed V8's string limit),
// --repeats N (default 15), --json FILE (write the figures), --batch FILE (reuse the columnar
// batch a previous run wrote instead of generating and parsing the data again), --build DIR (a
// CMake build of another variant, e.g. without SIMD: its wasm/sesami.{js,wasm} instead of dist/),
// --browser (also time filter + aggregate of the 1 M batch in headless Chromium, /usr/bin/chromium).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { Sesami, createSesami } from '../dist/node.js';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const root = dirname(pkg);
const work = join(root, 'build', 'wasm-bench');
mkdirSync(work, { recursive: true });

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('events', 1_000_000));
const E2E = Number(arg('e2e-events', 100_000));
const REPEATS = Number(arg('repeats', 15));

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function time(fn, repeats = REPEATS) {
  // Warm-up: V8 compiles wasm with a baseline compiler first and optimises hot functions later
  // (dynamic tiering), and the first calls also grow the heap. Steady state is what we compare.
  for (let i = 0; i < 3; ++i) fn();
  const ms = [];
  for (let i = 0; i < repeats; ++i) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}
const fmt = (x) => x.toFixed(x < 10 ? 2 : 1);
const results = { machine: `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}` };
console.log(`machine: ${results.machine}`);

// ---- 1. size -----------------------------------------------------------------------------------
const variant = arg('build');
const dist = join(pkg, 'dist');
// A variant replaces the module (glue + wasm); the wrapper's JS stays the same.
const shipped = readdirSync(dist).filter((f) => f.endsWith('.js') || f.endsWith('.wasm'))
  .map((f) => (variant && f.startsWith('sesami.') ? join(variant, 'wasm', f) : join(dist, f)));
const raw = shipped.reduce((n, f) => n + statSync(f).size, 0);
const wasmGz = gzipSync(readFileSync(shipped.find((f) => f.endsWith('.wasm'))), { level: 9 }).length;
const jsGz = shipped.filter((f) => f.endsWith('.js'))
  .reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
results.size = { rawBytes: raw, gzipWasm: wasmGz, gzipJs: jsGz, gzipTotal: wasmGz + jsGz };
console.log(`size: ${(raw / 1024).toFixed(0)} KB raw, gzip ${(wasmGz / 1024).toFixed(1)} KB wasm + ` +
            `${(jsGz / 1024).toFixed(1)} KB JS = ${((wasmGz + jsGz) / 1024).toFixed(1)} KB (budget 300 KB)`);

// ---- data ----------------------------------------------------------------------------------------
let sesami;
if (variant) {
  const { default: factory } = await import(join(variant, 'wasm', 'sesami.js'));
  sesami = new Sesami(await factory({ wasmBinary: readFileSync(join(variant, 'wasm', 'sesami.wasm')) }));
  results.variant = variant;
  console.log(`variant: ${variant}`);
} else {
  sesami = await createSesami();
}
function demoBatch(events) {
  const reuse = arg('batch');
  if (reuse && events === N) return { batch: sesami.batch(readFileSync(reuse)), ms: 0, bytes: 0 };
  const builder = sesami.batchBuilder();
  const t0 = performance.now();
  let bytes = 0;
  for (const chunk of sesami.demoPayloads({ events, seed: 42, chunk: 20_000 })) {
    bytes += chunk.length;
    builder.add(chunk);
  }
  const batch = builder.finish();
  const ms = performance.now() - t0;
  if (batch.diagnostics.length) throw new Error(`demo data rejected: ${batch.diagnostics[0].message}`);
  return { batch, ms, bytes };
}

// The dashboard's usual question: the last 30 days of the period, mail events only, people only.
const filter = { from: '2025-12-02T00:00:00Z', to: '2026-01-01T00:00:00Z',
                 types: ['send', 'delivery', 'bounce', 'complaint', 'open', 'click'], machine: 'exclude' };
const query = new URLSearchParams([['from', filter.from], ['to', filter.to], ['type', filter.types.join(',')],
                                   ['machine', 'exclude']]);

// ---- 2. filter + aggregate, 1 M events -----------------------------------------------------------
{
  const { batch, ms, bytes } = demoBatch(N);
  if (bytes) console.log(`data: ${batch.size} events from ${(bytes / 1e6).toFixed(0)} MB of demo payloads, ` +
              `parsed into a batch in ${(ms / 1000).toFixed(1)} s (${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s)`);
  const columnar = batch.toColumnar();
  const file = arg('batch') ?? join(work, `demo-${N}.columnar`);
  if (!arg('batch')) writeFileSync(file, columnar);

  const wasmAgg = batch.aggregate({ filter, bucket: 'day' });
  const wasmMs = time(() => batch.aggregate({ filter, bucket: 'day' }));
  const selected = batch.select(filter);

  // The same headers, natively, at -O3, on the same bytes.
  const exe = join(work, 'native_query');
  execFileSync('c++', ['-std=c++20', '-O3', '-DNDEBUG', '-I', join(root, 'include'),
                       join(pkg, 'bench', 'native_query.cpp'), '-o', exe], { stdio: 'inherit' });
  const out = execFileSync(exe, [file, String(REPEATS), 'day', ...[...query].map(([k, v]) => `${k}=${v}`)],
                           { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n');
  const nativeMs = Number(out[0]);
  if (out[1] !== JSON.stringify(wasmAgg)) throw new Error('native and wasm aggregations differ');
  results.filterAggregate = { events: batch.size, selected, wasmMs, nativeMs, ratio: wasmMs / nativeMs };
  console.log(`filter+aggregate ${batch.size} events (${selected} selected): wasm ${fmt(wasmMs)} ms, ` +
              `native ${fmt(nativeMs)} ms → ${(wasmMs / nativeMs).toFixed(2)}× native (budget ≤ 2×)`);
  if (process.argv.includes('--browser')) results.browser = await inChromium(file, wasmAgg);
  batch.dispose();
}

/** The same query on the same batch in headless Chromium, loading dist/ as a page would. */
async function inChromium(batchFile, expected) {
  const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) throw new Error(`--browser: no Chromium at ${chromium}`);
  const files = { '/batch.bin': batchFile, '/page.html': null };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/page.html') return res.writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><link rel="icon" href="data:,"><script type="module"></script>');
    const file = files[path] ?? (path.startsWith('/dist/') && !path.includes('..') ? join(pkg, path) : null);
    if (!file || !existsSync(file)) return res.writeHead(404).end();
    const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { chromium: launcher } = await import(join(pkg, 'node_modules', 'playwright-core', 'index.mjs'));
  const browser = await launcher.launch({ executablePath: chromium, args: ['--headless', '--no-sandbox',
    '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/page.html`);
    const r = await page.evaluate(async ({ filter, repeats }) => {
      const { createSesami } = await import('/dist/browser.js');
      const sesami = await createSesami();
      const bytes = new Uint8Array(await (await fetch('/batch.bin')).arrayBuffer());
      let t = performance.now();
      const batch = sesami.batch(bytes);
      const loadMs = performance.now() - t;
      const run = () => batch.aggregate({ filter, bucket: 'day' });
      for (let i = 0; i < 3; ++i) run();
      const ms = [];
      for (let i = 0; i < repeats; ++i) { t = performance.now(); run(); ms.push(performance.now() - t); }
      ms.sort((a, b) => a - b);
      return { json: JSON.stringify(run()), ms: ms[ms.length >> 1], loadMs };
    }, { filter, repeats: REPEATS });
    if (r.json !== JSON.stringify(expected)) throw new Error('Chromium and Node aggregations differ');
    console.log(`Chromium (${await browser.version()}): filter+aggregate ${fmt(r.ms)} ms; ` +
                `loading the ${(statSync(batchFile).size / 1e6).toFixed(0)} MB batch ${fmt(r.loadMs)} ms`);
    return { chromium: browser.version(), filterAggregateMs: r.ms, loadMs: r.loadMs };
  } finally {
    await browser.close();
    server.close();
  }
}

// ---- 3. end to end: response bytes → chart series ------------------------------------------------
{
  const { batch } = demoBatch(E2E);
  const columnarBytes = batch.toColumnar();
  // The same events as a JSON API would send them: an array of normalized events.
  const events = [];
  for (const chunk of sesami.demoPayloads({ events: E2E, seed: 42, chunk: 20_000 }))
    events.push(...sesami.parseAll(chunk).events);
  const jsonBytes = new TextEncoder().encode(JSON.stringify(events));
  events.length = 0;
  batch.dispose();

  const wasmSeries = () => {
    const b = sesami.batch(columnarBytes);
    try {
      return b.aggregate({ filter, bucket: 'day' }).series;
    } finally {
      b.dispose();
    }
  };
  // What peers write: parse, filter, group by day and type with reduce.
  const from = Date.parse(filter.from), to = Date.parse(filter.to), day = 86_400_000;
  const types = new Set(filter.types);
  const jsSeries = () => {
    const all = JSON.parse(new TextDecoder().decode(jsonBytes));
    const kept = all.filter((e) => {
      const t = Date.parse(e.timestamp);
      const machine = e.open?.machine || e.click?.machine;
      return t >= from && t < to && types.has(e.type) && !machine;
    });
    const counts = kept.reduce((acc, e) => {
      const k = Math.floor(Date.parse(e.timestamp) / day);
      const row = (acc[e.type] ??= new Map());
      row.set(k, (row.get(k) ?? 0) + 1);
      return acc;
    }, {});
    const labels = [];
    for (let k = Math.floor(from / day); k * day < to; ++k) labels.push(new Date(k * day).toISOString());
    const series = {};
    for (const t of filter.types) series[t] = labels.map((l) => counts[t]?.get(Date.parse(l) / day) ?? 0);
    return { labels, types: series };
  };
  const w = wasmSeries(), j = jsSeries();
  if (JSON.stringify(w.labels) !== JSON.stringify(j.labels)) throw new Error('series labels differ');
  for (const t of filter.types)
    if (JSON.stringify(w.types[t]) !== JSON.stringify(j.types[t])) throw new Error(`series ${t} differ`);

  const wasmMs = time(wasmSeries);
  const jsMs = time(jsSeries, Math.max(5, REPEATS >> 1));
  results.endToEnd = { events: E2E, columnarBytes: columnarBytes.length, jsonBytes: jsonBytes.length,
                       wasmMs, jsMs, speedup: jsMs / wasmMs };
  console.log(`end to end, ${E2E} events: wasm ${fmt(wasmMs)} ms from ${(columnarBytes.length / 1e6).toFixed(1)} MB ` +
              `columnar, JS ${fmt(jsMs)} ms from ${(jsonBytes.length / 1e6).toFixed(1)} MB JSON → ` +
              `${(jsMs / wasmMs).toFixed(1)}× faster (budget ≥ 3×)`);
}

const ok = results.size.gzipTotal <= 300 * 1024 && results.filterAggregate.ratio <= 2 && results.endToEnd.speedup >= 3;
console.log(ok ? 'all budgets met' : 'BUDGET MISSED');
const jsonOut = arg('json');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
process.exitCode = ok ? 0 : 1;
