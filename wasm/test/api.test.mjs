// The package's API in Node: parsing, batches, filters, aggregation, classification, errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, before, describe, test } from 'node:test';

import { fixture, fixtures, load, pkgDir, repoDir } from './helpers.mjs';

let sesami, mod;
before(async () => ({ sesami, mod } = await load()));

// Node 20 has no `using` statement yet: batches made by a test are disposed after it.
const tracked = [];
const track = (b) => (tracked.push(b), b);
afterEach(() => tracked.splice(0).forEach((b) => b.dispose()));

// Every well-formed fixture, concatenated as JSON Lines: a small batch with every shape and type.
function allGoodFixtures() {
  return fixtures()
    .filter(
      (f) => !f.startsWith('malformed/') && sesami.parseAll(fixture(f)).diagnostics.length === 0,
    )
    .map((f) => JSON.stringify(JSON.parse(fixture(f))))
    .join('\n');
}

describe('loading', () => {
  test('the version is the CMake project version and package.json version', () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const cmake = readFileSync(join(repoDir, 'CMakeLists.txt'), 'utf8').match(
      /project\(sesami VERSION (\S+)/,
    )[1];
    assert.equal(sesami.version, cmake);
    assert.equal(pkg.version, cmake);
  });

  test('wasm bytes can be passed in, and a missing file is a SesamiError', async () => {
    const bytes = readFileSync(join(pkgDir, 'dist', 'sesami.wasm'));
    const s = await mod.createSesami({ wasm: bytes });
    assert.equal(s.version, sesami.version);
    await assert.rejects(
      mod.createSesami({ wasm: '/nonexistent/sesami.wasm' }),
      (e) => e instanceof mod.SesamiError && e.code === 'sesami.load_failed',
    );
  });
});

describe('parse', () => {
  test('returns normalized events with the documented fields', () => {
    const [e] = sesami.parse(fixture('ses/event-bounce.json'));
    assert.equal(e.type, 'bounce');
    assert.equal(e.recipient, 'recipient@example.com');
    assert.match(e.id, /^[0-9a-f]{32}$/);
    assert.match(e.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(e.bounce.type, 'Permanent');
    assert.equal(e.bounce.class, 'hard');
  });

  test('JSON.stringify of each event is the line parseToJsonLines gives', () => {
    const text = allGoodFixtures();
    const lines = sesami.parseToJsonLines(text);
    assert.equal(
      sesami
        .parse(text)
        .map((e) => JSON.stringify(e) + '\n')
        .join(''),
      lines,
    );
  });

  test('a rejected item throws SesamiError with its stable code and every diagnostic', () => {
    const good = JSON.stringify(JSON.parse(fixture('ses/event-send.json')));
    const text = `${good}\n{"notAnEvent": true}\nnot json\n`;
    assert.throws(
      () => sesami.parse(text),
      (e) => {
        assert.ok(e instanceof mod.SesamiError);
        assert.equal(e.code, 'sesami.unknown_shape');
        assert.match(e.message, /^line 2: /);
        assert.deepEqual(
          e.diagnostics.map((d) => [d.line, d.code]),
          [
            [2, 'sesami.unknown_shape'],
            [3, 'sesami.bad_json'],
          ],
        );
        return true;
      },
    );
  });

  test('parseAll keeps the good items and reports the rest', () => {
    const good = JSON.stringify(JSON.parse(fixture('ses/event-send.json')));
    const r = sesami.parseAll(`${good}\n{"notAnEvent": true}\n`);
    assert.equal(r.events.length, 1);
    assert.equal(r.documents, 2);
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].line, 2);
  });

  test('every malformed fixture gives a diagnostic with a sesami.* code, never an exception escaping', () => {
    for (const f of fixtures().filter((x) => x.startsWith('malformed/'))) {
      const r = sesami.parseAll(fixture(f));
      assert.ok(r.diagnostics.length > 0, f);
      for (const d of r.diagnostics) assert.match(d.code, /^sesami\.[a-z_]+$/, f);
    }
  });

  test('empty input is no events and no error', () => {
    assert.deepEqual(sesami.parse(''), []);
    assert.deepEqual(sesami.parse('  \n'), []);
  });

  test('non-ASCII text survives the boundary', () => {
    const doc = JSON.parse(fixture('ses/event-send.json'));
    doc.mail.commonHeaders.subject = 'Grüße — 你好 👋';
    const [e] = sesami.parse(JSON.stringify(doc));
    assert.equal(e.subject, 'Grüße — 你好 👋');
  });
});

describe('batch', () => {
  test('from text, from events and from columnar bytes hold the same data', () => {
    const text = allGoodFixtures();
    const events = sesami.parse(text);
    const a = sesami.batch(text),
      b = sesami.batch(events);
    const c = sesami.batch(a.toColumnar());
    try {
      assert.equal(a.size, events.length);
      assert.deepEqual(b.toColumnar(), a.toColumnar());
      assert.deepEqual(c.toColumnar(), a.toColumnar());
      const opts = { bucket: 'hour' };
      assert.deepEqual(b.aggregate(opts), a.aggregate(opts));
      assert.deepEqual(c.aggregate(opts), a.aggregate(opts));
      // An ArrayBuffer works as well as a Uint8Array (fetch's arrayBuffer()).
      const bytes = a.toColumnar();
      const d = sesami.batch(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      );
      assert.equal(d.size, a.size);
      d.dispose();
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });

  test('columns and dictionaries describe the events', () => {
    const events = sesami.parse(allGoodFixtures());
    const b = track(sesami.batch(events));
    const ts = b.column('timestamp');
    assert.ok(ts instanceof BigInt64Array);
    assert.equal(ts.length, events.length);
    const types = b.column('type');
    const recipients = b.dictionary('recipient');
    const typeNames = [
      'send',
      'delivery',
      'bounce',
      'complaint',
      'open',
      'click',
      'reject',
      'delivery_delay',
      'rendering_failure',
      'subscription',
      'unknown',
    ];
    events.forEach((e, i) => {
      assert.equal(Number(b.column('timestamp')[i]), Date.parse(e.timestamp));
      assert.equal(typeNames[types[i]], e.type);
      assert.equal(recipients.get(b.column('recipient')[i]), e.recipient ?? '');
    });
    assert.equal(recipients.get(0), '');
    assert.throws(
      () => b.column('nope'),
      (e) => e.code === 'sesami.bad_value',
    );
    assert.throws(
      () => b.dictionary('nope'),
      (e) => e.code === 'sesami.bad_value',
    );
    assert.throws(() => recipients.get(recipients.size), RangeError);
  });

  test('select filters by type, machine and recipient, and aggregate follows the selection', () => {
    const events = sesami.parse(allGoodFixtures());
    const b = track(sesami.batch(events));
    const opens = events.filter((e) => e.type === 'open');
    assert.equal(b.select({ types: ['open'] }), opens.length);
    assert.deepEqual(
      [...b.selection()],
      events.flatMap((e, i) => (e.type === 'open' ? [i] : [])),
    );
    assert.equal(b.aggregate().events, opens.length);
    const human = events.filter((e) => e.type === 'open' && !e.open.machine).length;
    assert.equal(b.select('type=open&machine=exclude'), human);
    assert.equal(
      b.select(new URLSearchParams({ recipient: '@example.com' })),
      events.filter((e) => e.recipient?.endsWith('@example.com')).length,
    );
    assert.equal(b.select(), events.length);
    // A time window: [from, to).
    const t = Date.parse(events[0].timestamp);
    const inWindow = events.filter(
      (e) => Date.parse(e.timestamp) >= t && Date.parse(e.timestamp) < t + 1,
    ).length;
    assert.equal(b.select({ from: t, to: new Date(t + 1) }), inWindow);
  });

  test('filters the core refuses throw SesamiError sesami.bad_filter', () => {
    const b = track(sesami.batch(sesami.parse(fixture('ses/event-open.json'))));
    for (const f of [
      { types: ['opened'] },
      { statuses: ['nope'] },
      { machine: 'sometimes' },
      { typo: ['x'] },
      'bogus=1',
      { from: '2020-02-30' },
      { from: '2021-01-01', to: '2020-01-01' },
      { from: new Date(NaN) },
    ])
      assert.throws(
        () => b.select(f),
        (e) => e instanceof mod.SesamiError && e.code === 'sesami.bad_filter',
        JSON.stringify(f),
      );
    assert.throws(
      () => b.aggregate({ bucket: 'fortnight' }),
      (e) => e.code === 'sesami.bad_filter',
    );
    assert.throws(
      () => b.aggregate({ offsetMinutes: 900 }),
      (e) => e.code === 'sesami.bad_filter',
    );
    assert.throws(
      () => b.aggregate({ from: '2020-02-30' }),
      (e) => e.code === 'sesami.bad_filter',
    );
    assert.throws(
      () => b.aggregate({ top: -1 }),
      (e) => e.code === 'sesami.bad_filter',
    );
  });

  test('bad columnar bytes are sesami.bad_batch', () => {
    const b = track(sesami.batch(sesami.parse(allGoodFixtures())));
    const bytes = b.toColumnar();
    for (const broken of [
      new Uint8Array(0),
      bytes.subarray(0, bytes.length - 3),
      Uint8Array.from(bytes, (x, i) => (i < 8 ? 0 : x)),
    ])
      assert.throws(
        () => sesami.batch(broken),
        (e) => e.code === 'sesami.bad_batch',
      );
  });

  test('a batch from events refuses objects that are not events', () => {
    assert.throws(
      () => sesami.batch([{ hello: 'world' }]),
      (e) => e instanceof mod.SesamiError && /^sesami\./.test(e.code),
    );
    assert.throws(
      () => sesami.batch(42),
      (e) => e.code === 'sesami.wrong_type',
    );
  });

  test('a disposed batch throws on use; disposing twice is harmless', () => {
    const b = sesami.batch(sesami.parse(fixture('ses/event-open.json')));
    b.dispose();
    b[Symbol.dispose]();
    assert.throws(
      () => b.size,
      (e) => e.code === 'sesami.disposed',
    );
  });

  test('text with rejected items still loads the good ones, with diagnostics', () => {
    const good = JSON.stringify(JSON.parse(fixture('ses/event-send.json')));
    const b = track(sesami.batch(`${good}\nnot json\n`));
    assert.equal(b.size, 1);
    assert.equal(b.diagnostics.length, 1);
    assert.equal(b.diagnostics[0].code, 'sesami.bad_json');
    assert.throws(
      () => sesami.aggregate(`${good}\nnot json\n`),
      (e) => e.code === 'sesami.bad_json',
    );
  });
});

describe('batchBuilder and demo data', () => {
  test('a batch built from pieces equals one built from the whole', () => {
    const chunks = [...sesami.demoPayloads({ events: 3000, seed: 3, chunk: 400 })];
    assert.ok(chunks.length > 2);
    const whole = track(sesami.batch(chunks.join('')));
    const builder = sesami.batchBuilder();
    let added = 0;
    for (const c of chunks.slice(0, -1)) added += builder.add(c);
    added += builder.add(sesami.parse(chunks.at(-1))); // events work as well as text
    const pieces = track(builder.finish());
    assert.equal(added, whole.size);
    assert.deepEqual(pieces.toColumnar(), whole.toColumnar());
    assert.throws(
      () => builder.add('{}'),
      (e) => e.code === 'sesami.disposed',
    );
    assert.deepEqual(pieces.aggregate({ bucket: 'week' }), whole.aggregate({ bucket: 'week' }));
  });

  test('demo payloads are reproducible, realistic and parse without rejection', () => {
    const a = [...sesami.demoPayloads({ events: 2000, seed: 9 })].join('');
    const b = [...sesami.demoPayloads({ events: 2000, seed: 9 })].join('');
    const c = [...sesami.demoPayloads({ events: 2000, seed: 10 })].join('');
    assert.equal(a, b);
    assert.notEqual(a, c);
    const r = sesami.parseAll(a);
    assert.deepEqual(r.diagnostics, []);
    const types = new Set(r.events.map((e) => e.type));
    for (const t of ['send', 'delivery', 'bounce', 'open', 'click']) assert.ok(types.has(t), t);
    assert.ok(r.events.length > 1500 && r.events.length < 2600, String(r.events.length));
  });
});

describe('aggregate', () => {
  test('counts per type match the events, and the series sum to the totals', () => {
    const text = allGoodFixtures();
    const events = sesami.parse(text);
    const a = sesami.aggregate(text, { bucket: 'month' });
    assert.equal(a.bucket, 'month');
    assert.equal(a.events, events.length);
    for (const [type, n] of Object.entries(a.totals)) {
      assert.equal(n, events.filter((e) => e.type === type).length, type);
      assert.equal(
        a.series.types[type].reduce((x, y) => x + y, 0),
        n,
        type,
      );
    }
    assert.equal(a.series.labels.length, a.series.types.send.length);
  });

  test('a filter in the options and a range that widens the series', () => {
    const text = allGoodFixtures();
    const a = sesami.aggregate(text, {
      bucket: 'day',
      filter: { types: ['open', 'click'] },
      from: '2000-01-01',
      to: '2000-01-08',
    });
    assert.equal(a.series.labels.length, 7);
    assert.equal(a.series.labels[0], '2000-01-01T00:00:00.000Z');
    const b = sesami.aggregate(text, {
      bucket: 'day',
      offsetMinutes: 60,
      from: '2000-01-01',
      to: '2000-01-02',
    });
    assert.equal(b.series.labels[0], '2000-01-01T00:00:00.000+01:00');
  });
});

describe('categorize', () => {
  test('bounces, opens, clicks and status codes as the core classifies them', () => {
    assert.equal(
      sesami.classifyBounce({
        type: 'Transient',
        subType: 'General',
        diagnosticCode: 'smtp; 550 5.4.4 invalid domain',
      }),
      'hard',
    );
    assert.equal(
      sesami.classifyBounce({ type: 'Undetermined', diagnosticCode: 'Out of Office until Monday' }),
      'undetermined',
    );
    assert.equal(
      sesami.classifyBounce({ type: 'Permanent', subType: 'OnAccountSuppressionList' }),
      'suppressed',
    );
    assert.deepEqual(sesami.classifyOpen('Mozilla/5.0'), { machine: true, reason: 'apple-mpp' });
    assert.deepEqual(sesami.classifyOpen('Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15'), {
      machine: false,
      reason: '',
    });
    assert.deepEqual(sesami.classifyClick('Mozilla/5.0 (X11)', 5_000, 0), {
      machine: false,
      reason: '',
    });
    assert.deepEqual(
      sesami.classifyClick('Mozilla/5.0 (X11)', '2024-01-01T00:00:05Z', '2024-01-01T00:00:00Z'),
      { machine: true, reason: 'too-fast' },
    );
    assert.equal(sesami.findEnhancedStatus('smtp; 550 5.1.1 user unknown'), '5.1.1');
    assert.equal(sesami.findEnhancedStatus('from 127.0.2.0'), null);
  });

  test('event identity and suppression reason of parsed events', () => {
    const [bounce] = sesami.parse(fixture('ses/event-bounce.json'));
    assert.equal(sesami.eventId(bounce), bounce.id);
    assert.equal(sesami.suppressionReason(bounce), 'hard_bounce');
    const [open] = sesami.parse(fixture('ses/event-open.json'));
    assert.equal(sesami.suppressionReason(open), null);
    assert.throws(
      () => sesami.eventId({}),
      (e) => e instanceof mod.SesamiError,
    );
  });

  test('filterToQuery gives the canonical, validated query string', () => {
    assert.equal(
      sesami.filterToQuery({
        machine: 'exclude',
        types: ['click', 'open'],
        tags: { campaign: ['a', 'b'] },
      }),
      'type=click%2Copen&tag=campaign%3Da&tag=campaign%3Db&machine=exclude',
    );
    assert.equal(sesami.filterToQuery('machine=include'), '');
    assert.throws(
      () => sesami.filterToQuery({ types: ['nope'] }),
      (e) => e.code === 'sesami.bad_filter',
    );
  });
});

describe('templates', () => {
  test("renderTemplate renders with SES's rules, as the server does", () => {
    const t = {
      subject: 'Order {{order.id}}',
      text: '{{#each items}}- {{this}}\n{{/each}}',
      html: '<p>{{name}}</p>{{#if vip}}VIP{{/if}}',
    };
    const r = sesami.renderTemplate(t, { order: { id: 7 }, items: ['a', 'b'], name: '<b>Ann</b>' });
    assert.deepEqual(r, {
      subject: 'Order 7',
      text: '- a\n- b\n',
      html: '<p><b>Ann</b></p>',
      missing: [],
    });
    assert.deepEqual(sesami.renderTemplate(t, '{}').missing, ['order.id', 'name']);
    assert.throws(
      () => sesami.renderTemplate({ subject: '{{#if x}}' }),
      (e) =>
        e instanceof mod.SesamiError &&
        e.code === 'sesami.bad_value' &&
        /subject: line 1/.test(e.message),
    );
    assert.throws(
      () => sesami.renderTemplate(t, '[1]'),
      (e) => e.code === 'sesami.not_an_object',
    );
  });
  test('rendering is bounded: a self-calling partial stops, memory is returned', () => {
    const before = sesami.memory().usedBytes;
    for (let i = 0; i < 50; ++i)
      assert.throws(
        () => sesami.renderTemplate({ subject: '{{#*inline "p"}}{{> p}}{{/inline}}{{> p}}' }),
        (e) => e.code === 'sesami.too_deep',
      );
    assert.ok(sesami.memory().usedBytes - before < 64 * 1024);
  });
});
