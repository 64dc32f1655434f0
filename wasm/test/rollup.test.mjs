// The rollup arithmetic in wasm: aggregateRollups (the events stored once each and rolled up per
// hour, as the server's store keeps them) equals aggregate over the distinct events, for event
// sets arriving in any order and with repeats — the core's property test (tests/unit/
// rollup_test.cpp), here through the package.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { load } from './helpers.mjs';

let sesami;
before(async () => ({ sesami } = await load()));

// mulberry32: a seeded order, the same in every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('aggregateRollups', () => {
  for (const seed of [1, 2, 3]) {
    test(`equals aggregate of the distinct events, shuffled with repeats (seed ${seed})`, () => {
      const text = [...sesami.demoPayloads({ events: 4000, seed, days: 30 })].join('');
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      // E: the distinct events (the demo repeats some deliveries, as SNS does), as a store keeps them.
      const seen = new Set();
      const distinct = sesami.parse(text).filter((e) => {
        const id = sesami.eventId(e);
        return !seen.has(id) && seen.add(id);
      });
      const batch = sesami.batch(distinct);

      const random = rng(seed * 7919);
      const arrivals = [...lines];
      for (const l of lines) if (random() < 0.25) arrivals.push(l, ...(random() < 0.5 ? [l] : []));
      for (let i = arrivals.length - 1; i > 0; --i) {
        const j = Math.floor(random() * (i + 1));
        [arrivals[i], arrivals[j]] = [arrivals[j], arrivals[i]];
      }
      const shuffled = arrivals.join('\n');
      assert.ok(arrivals.length > lines.length);

      for (const bucket of ['hour', 'day', 'week', 'month'])
        for (const offsetMinutes of [0, 60, -300, 840, -720]) {
          const options = { bucket, offsetMinutes, top: 5 };
          assert.deepEqual(
            sesami.aggregateRollups(shuffled, options),
            sesami.aggregate(batch, options),
            `${bucket}, offset ${offsetMinutes}`,
          );
        }
      batch.dispose();
    });
  }

  test('offsets must be whole hours; rejected items throw', () => {
    const text = [...sesami.demoPayloads({ events: 50, seed: 1 })].join('');
    assert.throws(() => sesami.aggregateRollups(text, { offsetMinutes: 30 }), {
      code: 'sesami.bad_filter',
    });
    assert.throws(
      () => sesami.aggregateRollups('{"not": "ses"}'),
      (e) => e.code !== undefined,
    );
  });
});
