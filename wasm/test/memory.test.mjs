// Wasm memory is released: explicitly by dispose(), and by the FinalizationRegistry when a batch
// is garbage-collected without it. Repeated calls must not grow the heap or the allocated bytes.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { fixture, fixtures, load } from './helpers.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

let sesami, text;
before(async () => {
  ({ sesami } = await load());
  // A few thousand events: every well-formed fixture, many times over.
  const docs = fixtures()
    .filter(
      (f) => !f.startsWith('malformed/') && sesami.parseAll(fixture(f)).diagnostics.length === 0,
    )
    .map((f) => JSON.stringify(JSON.parse(fixture(f))));
  text = Array.from({ length: 40 }, () => docs.join('\n')).join('\n');
});

function workload() {
  const events = sesami.parse(text);
  const b = sesami.batch(text);
  b.select({ types: ['open', 'click'], machine: 'exclude' });
  b.aggregate({ bucket: 'hour' });
  b.column('timestamp');
  b.dictionary('recipient').get(1);
  const c = sesami.batch(b.toColumnar());
  c.aggregate({ bucket: 'day', filter: 'status=bounced' });
  sesami.aggregate(text, { bucket: 'week' });
  sesami.eventId(events[0]);
  c.dispose();
  b.dispose();
  return events.length;
}

test('repeated parse / batch / filter / aggregate calls do not grow wasm memory', () => {
  assert.ok(workload() > 1000);
  const baseline = sesami.memory();
  for (let i = 0; i < 30; ++i) workload();
  const after = sesami.memory();
  assert.equal(after.heapBytes, baseline.heapBytes, 'the heap grew');
  assert.equal(after.usedBytes, baseline.usedBytes, 'allocated bytes changed');
});

test('a failing call leaks nothing either', () => {
  const baseline = sesami.memory();
  for (let i = 0; i < 100; ++i) {
    assert.throws(() => sesami.batch(new Uint8Array(64)));
    assert.throws(() => sesami.aggregate(text, { bucket: 'nope' }));
    assert.throws(() => sesami.parse('{"x": 1}'));
  }
  assert.deepEqual(sesami.memory(), baseline);
});

test('batches that are never disposed are freed once garbage-collected', async () => {
  const baseline = sesami.memory().usedBytes;
  (() => {
    for (let i = 0; i < 20; ++i) sesami.batch(text).select({ types: ['send'] });
  })();
  assert.ok(sesami.memory().usedBytes > baseline + 20 * 1000, 'the batches hold wasm memory');
  // FinalizationRegistry callbacks run after a collection, on a later turn of the event loop.
  for (let i = 0; i < 50 && sesami.memory().usedBytes !== baseline; ++i) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(sesami.memory().usedBytes, baseline);
});
