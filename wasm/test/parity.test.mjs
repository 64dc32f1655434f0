// Parity with the native build: for every fixture and for the demo data set, the package's events
// and aggregations are byte-identical to what the native `sesami` program prints.
// The native program's path comes from SESAMI_BIN (e.g. build/dev/server/cli/sesami). Without it
// the test is skipped locally, and fails in CI (CI=true), where it must always run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { fixture, fixtures, fixturesDir, load } from './helpers.mjs';

const bin = process.env.SESAMI_BIN;
const inCi = /^(1|true)$/i.test(process.env.CI ?? '');
const skip =
  !bin &&
  !inCi &&
  'SESAMI_BIN is not set: build the native `sesami` and set it to run the parity tests';

test('SESAMI_BIN is set in CI', () => {
  assert.ok(bin || !inCi, 'CI=true but SESAMI_BIN is unset: the parity tests cannot run');
});

function native(args, input) {
  const r = spawnSync(bin, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return r;
}

let sesami, tmp, demoFile, demoText;
before(async () => {
  ({ sesami } = await load());
  tmp = mkdtempSync(join(tmpdir(), 'sesami-parity-'));
  // The demo data set as `sesami demo` generates it (20 000 events: every type, duplicates,
  // late and out-of-order payloads, scanners and privacy proxies).
  demoText = [...sesami.demoPayloads({ events: 20_000, seed: 7 })].join('');
  demoFile = join(tmp, 'demo.jsonl');
  writeFileSync(demoFile, demoText);
});
after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

describe('parse: byte-identical to `sesami parse`', { skip }, () => {
  for (const f of fixtures()) {
    test(f, () => {
      const nat = native(['parse', join(fixturesDir, f)]);
      const mine = sesami.parseAll(fixture(f));
      // The same events, and their objects serialize back to the very same bytes.
      assert.equal(mine.events.map((e) => JSON.stringify(e) + '\n').join(''), nat.stdout);
      // The same items rejected: one stderr line each, exit status 1 iff any.
      const errLines = nat.stderr.split('\n').filter(Boolean);
      assert.equal(mine.diagnostics.length, errLines.length, nat.stderr);
      assert.equal(nat.status, mine.diagnostics.length ? 1 : 0);
      mine.diagnostics.forEach((d, i) =>
        assert.ok(errLines[i].endsWith(`(${d.code})`), errLines[i]),
      );
      if (mine.diagnostics.length === 0)
        assert.equal(sesami.parseToJsonLines(fixture(f)), nat.stdout);
    });
  }

  test('the demo data set', () => {
    const nat = native(['parse', demoFile]);
    assert.equal(nat.status, 0, nat.stderr);
    const lines = sesami.parseToJsonLines(demoText);
    assert.ok(lines.length > 1_000_000);
    assert.equal(lines, nat.stdout);
  });
});

describe('aggregate: byte-identical to `sesami aggregate`', { skip }, () => {
  const good = () =>
    fixtures().filter(
      (f) => !f.startsWith('malformed/') && sesami.parseAll(fixture(f)).diagnostics.length === 0,
    );

  test('every well-formed fixture, by day', () => {
    for (const f of good()) {
      const nat = native(['aggregate', '--bucket', 'day', join(fixturesDir, f)]);
      assert.equal(nat.status, 0, `${f}: ${nat.stderr}`);
      const a = sesami.aggregate(fixture(f), { bucket: 'day' });
      assert.equal(JSON.stringify(a), nat.stdout.trimEnd(), f);
    }
  });

  test('the demo data set, filtered, in local time, with longer top lists', () => {
    const nat = native([
      'aggregate',
      '--bucket',
      'week',
      '--offset',
      '-300',
      '--top',
      '25',
      '--from',
      '2025-11-01T00:00:00Z',
      '--to',
      '2025-12-15T00:00:00Z',
      '--type',
      'open,click',
      '--type',
      'bounce',
      '--machine',
      'exclude',
      '--recipient',
      '@gmail.com',
      '--recipient',
      '*a*',
      demoFile,
    ]);
    assert.equal(nat.status, 0, nat.stderr);
    const a = sesami.aggregate(demoText, {
      bucket: 'week',
      offsetMinutes: -300,
      top: 25,
      filter: {
        from: '2025-11-01T00:00:00Z',
        to: '2025-12-15T00:00:00Z',
        types: ['open', 'click', 'bounce'],
        machine: 'exclude',
        recipients: ['@gmail.com', '*a*'],
      },
    });
    assert.ok(a.events > 0);
    assert.equal(JSON.stringify(a), nat.stdout.trimEnd());
  });

  test('the same through a batch built from columnar bytes', () => {
    const nat = native([
      'aggregate',
      '--bucket',
      'day',
      '--status',
      'bounced,complained',
      demoFile,
    ]);
    assert.equal(nat.status, 0, nat.stderr);
    const fromText = sesami.batch(demoText);
    const b = sesami.batch(fromText.toColumnar());
    fromText.dispose();
    try {
      assert.equal(
        JSON.stringify(b.aggregate({ bucket: 'day', filter: 'status=bounced,complained' })),
        nat.stdout.trimEnd(),
      );
    } finally {
      b.dispose();
    }
  });

  for (const bucket of ['hour', 'day', 'week', 'month']) {
    test(`the demo data set, by ${bucket}`, () => {
      const nat = native(['aggregate', '--bucket', bucket, demoFile]);
      assert.equal(nat.status, 0, nat.stderr);
      assert.equal(JSON.stringify(sesami.aggregate(demoText, { bucket })), nat.stdout.trimEnd());
    });
  }
});
