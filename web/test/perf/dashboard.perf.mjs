// Dashboard figures for docs/performance.md, in Debian's Chromium:
//   1. time to first chart with 100 000 events in the Events window (a real `sesami serve`
//      with `sesami demo --events 100000`; from navigation start to the first chart drawn);
//   2. re-filter + re-aggregate at 1 000 000 events in the browser (a columnar batch of the demo
//      data set built by the wasm package, loaded into Explore; several filter changes);
//   3. the JS bundle size (web/dist, gzip).
// Run: npm run build && SESAMI_BIN=... npm run bench        (takes a few minutes)
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import { createSesami } from '@sesami/core';
import { browser, dist, makeDatabase, newPage, serve, signIn } from '../e2e/harness.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = [];
const say = (s) => {
  console.log(s);
  out.push(s);
};

// ---- 3. bundle --------------------------------------------------------------------------------
const assets = join(dist, 'assets');
let js = 0,
  jsGz = 0,
  wasm = 0,
  wasmGz = 0,
  css = 0;
for (const f of readdirSync(assets)) {
  const b = readFileSync(join(assets, f));
  if (f.endsWith('.js')) {
    js += b.length;
    jsGz += gzipSync(b, { level: 9 }).length;
  } else if (f.endsWith('.wasm')) {
    wasm += b.length;
    wasmGz += gzipSync(b, { level: 9 }).length;
  } else if (f.endsWith('.css')) css += b.length;
}
say(
  `bundle: JS ${(js / 1024).toFixed(1)} KiB (${(jsGz / 1024).toFixed(1)} KiB gzip), wasm ${(wasm / 1024).toFixed(1)} KiB (${(wasmGz / 1024).toFixed(1)} KiB gzip), CSS ${(css / 1024).toFixed(1)} KiB`,
);

const chrome = await browser();
say(
  `machine: ${cpus()[0].model}, ${cpus().length} cores (shared); Chromium ${chrome.version()}; Node ${process.version}`,
);

// ---- 1. time to first chart, 100 000 events ---------------------------------------------------
// BENCH_ONLY=first-chart or BENCH_ONLY=refilter runs one part.
const only = process.env.BENCH_ONLY;
if (!only || only === 'first-chart') {
  const db = await makeDatabase(100_000);
  const server = await serve(db.db);
  try {
    // Reference, same server and data: the page's fallback for servers that page /events 1 000 at
    // a time (JSON pages over four time slices), forced by answering the one-request window with
    // the error such a server gives.
    const firstChart = async (paged) => {
      const page = await newPage(chrome, server.url);
      await signIn(page);
      if (paged)
        await page.route(/\/events\?.*limit=200000/, (route) =>
          route.fulfill({
            status: 400,
            contentType: 'application/json',
            body: JSON.stringify({
              error: { code: 'validation.limit', message: 'reference run: one page at a time' },
            }),
          }),
        );
      await page.goto('about:blank');
      await page.goto('/#/events?range=90d');
      await page.locator('#events-chart canvas').waitFor({ timeout: 300_000 });
      const r = await page.evaluate(() => ({
        firstChart: performance.getEntriesByName('sesami:first-chart')[0]?.startTime,
        window: Number(document.querySelector('[data-testid="perf"]').getAttribute('data-window')),
        load: Number(document.querySelector('[data-testid="perf"]').getAttribute('data-load-ms')),
      }));
      await page.context().close();
      return r;
    };
    const runs = [],
      paged = [];
    for (let i = 0; i < 3; i++) {
      runs.push(await firstChart(false));
      paged.push(await firstChart(true));
    }
    const m = median(runs.map((r) => r.firstChart));
    const mp = median(paged.map((r) => r.firstChart));
    say(
      `time to first chart, Events page, last 90 days = ${runs[0].window} events in the window: median ${m.toFixed(0)} ms of ${runs.map((r) => r.firstChart.toFixed(0)).join(', ')} (window fetch + wasm load: ${runs.map((r) => r.load).join(', ')} ms)`,
    );
    say(
      `  reference, JSON pages of 1 000 (${paged[0].window} events): median ${mp.toFixed(0)} ms of ${paged.map((r) => r.firstChart.toFixed(0)).join(', ')}; columnar window / pages = ${(m / mp).toFixed(2)} (${(mp / m).toFixed(1)}× faster)`,
    );
  } finally {
    await server.stop();
    db.cleanup();
  }
}

// ---- 2. re-filter + re-aggregate at 1 000 000 events -----------------------------------------
if (!only || only === 'refilter') {
  const sesami = await createSesami();
  const t0 = performance.now();
  const builder = sesami.batchBuilder();
  for (const chunk of sesami.demoPayloads({ events: 1_000_000, seed: 42, chunk: 20_000 }))
    builder.add(chunk);
  const batch = builder.finish();
  const size = batch.size;
  const bytes = batch.toColumnar();
  // Reference, same run: the same six filter states over the same batch in Node's wasm (no page,
  // no Solid, no Chart.js), select + selection + aggregate by day, as the page's core timing.
  const ts = batch.column('timestamp');
  let lo = ts[0],
    hi = ts[0];
  for (const t of ts) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const span = { from: Number(lo), to: Number(hi) + 1 };
  const states = [
    { machine: 'include', types: ['bounce'] },
    { machine: 'include', types: ['bounce', 'complaint'] },
    { machine: 'include' },
    { machine: 'exclude' },
    { machine: 'exclude', statuses: ['opened'] },
    { machine: 'include' },
  ];
  const nodeCore = [];
  for (let round = 0; round < 3; round++)
    for (const f of states) {
      const t = performance.now();
      batch.select(f);
      batch.selection();
      batch.aggregate({ bucket: 'day', ...span });
      nodeCore.push(performance.now() - t);
    }
  batch.dispose();
  const file = join(process.env.TMPDIR ?? '/tmp', 'sesami-demo-1m.sesami');
  writeFileSync(file, bytes);
  say(
    `1M corpus: ${size} events, columnar ${(statSync(file).size / 1048576).toFixed(1)} MiB, built in ${((performance.now() - t0) / 1000).toFixed(1)} s (Node)`,
  );

  // Explore needs no server data; a served build is still needed (module scripts cannot run from file://).
  const db = await makeDatabase(10);
  const server = await serve(db.db);
  try {
    const p = await newPage(chrome, server.url);
    await p.goto('/#/explore');
    const tLoad = Date.now();
    await p.getByTestId('explore-file').setInputFiles(file);
    await p.getByTestId('explore-summary').waitFor({ timeout: 300_000 });
    const loadMs = Date.now() - tLoad;
    await p.locator('#explore-chart canvas').waitFor();
    const steps = [
      [
        'type = bounce',
        (d) => {
          d.querySelector('input[name="type"][value="bounce"]').click();
        },
      ],
      [
        '+ type = complaint',
        (d) => {
          d.querySelector('input[name="type"][value="complaint"]').click();
        },
      ],
      [
        'clear types',
        (d) => {
          for (const v of ['bounce', 'complaint'])
            d.querySelector(`input[name="type"][value="${v}"]`).click();
        },
      ],
      [
        'machine = exclude',
        (d) => {
          const s = d.querySelector('select[name="machine"]');
          s.value = 'exclude';
          s.dispatchEvent(new Event('change', { bubbles: true }));
        },
      ],
      [
        'status = opened',
        (d) => {
          d.querySelector('input[name="status"][value="opened"]').click();
        },
      ],
      [
        'machine = include, status cleared',
        (d) => {
          const s = d.querySelector('select[name="machine"]');
          s.value = 'include';
          s.dispatchEvent(new Event('change', { bubbles: true }));
          d.querySelector('input[name="status"][value="opened"]').click();
        },
      ],
    ];
    const core = [],
      ui = [];
    for (let round = 0; round < 3; round++) {
      for (const [name, act] of steps) {
        const r = await p.evaluate(async (src) => {
          const act = new Function('d', `(${src})(d)`);
          const t0 = performance.now();
          act(document);
          await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
          const el = document.querySelector('[data-testid="perf"]');
          return {
            ui: performance.now() - t0,
            filter: Number(el.dataset.filterMs),
            aggregate: Number(el.dataset.aggregateMs),
            count: Number(el.dataset.count),
          };
        }, act.toString());
        core.push(r.filter + r.aggregate);
        ui.push(r.ui);
        if (round === 0)
          say(
            `  ${name}: ${r.count} match, select ${r.filter.toFixed(1)} ms + aggregate ${r.aggregate.toFixed(1)} ms, to next frame ${r.ui.toFixed(0)} ms`,
          );
      }
    }
    say(
      `re-filter + re-aggregate at ${size} events (Explore, Chromium): median ${median(core).toFixed(1)} ms (max ${Math.max(...core).toFixed(1)}) in the wasm core; median ${median(ui).toFixed(0)} ms until the next frame with table and charts updated; file load + parse ${loadMs} ms`,
    );
    say(
      `  reference, the same filter states in Node's wasm: median ${median(nodeCore).toFixed(1)} ms (max ${Math.max(...nodeCore).toFixed(1)}); Chromium / Node = ${(median(core) / median(nodeCore)).toFixed(2)}`,
    );
    await p.context().close();
  } finally {
    await server.stop();
    db.cleanup();
  }
}

await chrome.close();
writeFileSync(
  join(process.env.TMPDIR ?? '/tmp', 'sesami-dashboard-perf.txt'),
  out.join('\n') + '\n',
);
