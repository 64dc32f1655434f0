// The adapter over the real wasm core (the @sesami/core package built into wasm/dist): rows,
// selections and aggregations must say what the core says, for text and for columnar input.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSesami, type Sesami } from '@sesami/core';
import { engineFrom, type Engine } from '../../src/lib/sesami';
import { DEFAULT_VIEW, toFilter } from '../../src/lib/filter';
import type { EventFilter } from '../../src/lib/types';

const fixtures = join(__dirname, '../../../tests/fixtures/ses');
const text = `[${readdirSync(fixtures)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => readFileSync(join(fixtures, f), 'utf8'))
  .join(',')}]`;
const all: EventFilter = { status: [], type: [], machine: 'include' };

let sesami: Sesami;
let engine: Engine;
beforeAll(async () => {
  sesami = await createSesami();
  engine = engineFrom(sesami);
});

describe('windows over the wasm core', () => {
  it('holds every parsed event, rows in input order', () => {
    const events = sesami.parseAll(text).events;
    const r = engine.fromText(text);
    if (!r.ok) throw new Error(r.error.message);
    const w = r.value.window;
    expect(w.size).toBe(events.length);
    expect(events.length).toBeGreaterThan(10);
    const s = w.select(all);
    if (!s.ok) throw new Error(s.error.message);
    expect(s.value.count).toBe(events.length);
    for (let i = 0; i < events.length; i++) {
      const row = s.value.row(i);
      expect(row.messageId).toBe(events[i].messageId);
      expect(row.type).toBe(events[i].type);
      expect(row.recipient).toBe(events[i].recipient ?? '');
      expect(row.timestamp).toBe(events[i].timestamp);
      expect(row.subject).toBe(events[i].subject);
      expect(row.machine).toBe(Boolean(events[i].open?.machine || events[i].click?.machine));
      expect(row.bounceClass).toBe(events[i].bounce?.class ?? '');
      expect(row.link).toBe(events[i].click?.link ?? '');
    }
    w.dispose();
    expect(w.size).toBe(0);
  });

  it('filters as the core does and aggregates the selection', () => {
    const events = sesami.parseAll(text).events;
    const r = engine.fromText(text);
    if (!r.ok) throw new Error(r.error.message);
    const w = r.value.window;
    const bounces = w.select({ ...all, type: ['bounce'] });
    if (!bounces.ok) throw new Error(bounces.error.message);
    expect(bounces.value.count).toBe(events.filter((e) => e.type === 'bounce').length);
    for (let i = 0; i < bounces.value.count; i++) expect(bounces.value.row(i).type).toBe('bounce');

    const span = w.span();
    const agg = bounces.value.aggregate('day', span.from, span.to + 1);
    if (!agg.ok) throw new Error(agg.error.message);
    expect(agg.value.events).toBe(bounces.value.count);
    expect(agg.value.totals.bounce).toBe(bounces.value.count);
    expect(agg.value.totals.send).toBe(0);

    // A later selection does not change what an earlier one aggregates.
    const opens = w.select({ ...all, type: ['open'] });
    if (!opens.ok) throw new Error(opens.error.message);
    const again = bounces.value.aggregate('day', span.from, span.to + 1);
    expect(again.ok && again.value.totals.bounce).toBe(bounces.value.count);
    w.dispose();
  });

  it('reads the columnar wire format the server sends, the same rows', () => {
    const b = sesami.batch(text);
    const bytes = b.toColumnar();
    b.dispose();
    const r = engine.fromColumnar(bytes);
    if (!r.ok) throw new Error(r.error.message);
    const t = engine.fromText(text);
    if (!t.ok) throw new Error(t.error.message);
    const a = r.value.select(all),
      c = t.value.window.select(all);
    if (!a.ok || !c.ok) throw new Error('select');
    expect(a.value.count).toBe(c.value.count);
    for (let i = 0; i < a.value.count; i++) expect(a.value.row(i)).toEqual(c.value.row(i));
    r.value.dispose();
    t.value.window.dispose();
  });

  it('applies the view filter built from the URL (recipient part, machine)', () => {
    const r = engine.fromText(text);
    if (!r.ok) throw new Error(r.error.message);
    const w = r.value.window;
    const span = w.span();
    const view = {
      ...DEFAULT_VIEW,
      preset: 'custom' as const,
      from: new Date(span.from).toISOString(),
      to: new Date(span.to + 1).toISOString(),
    };
    const any = w.select(toFilter(view, 0));
    const some = w.select(toFilter({ ...view, recipient: 'recipient' }, 0));
    const human = w.select(toFilter({ ...view, machine: 'exclude' }, 0));
    if (!any.ok || !some.ok || !human.ok) throw new Error('select');
    expect(any.value.count).toBe(w.size);
    for (let i = 0; i < some.value.count; i++)
      expect(some.value.row(i).recipient).toContain('recipient');
    for (let i = 0; i < human.value.count; i++) expect(human.value.row(i).machine).toBe(false);
    w.dispose();
  });

  it('reports bad input as values, never throws', () => {
    const bad = engine.fromColumnar(new Uint8Array([1, 2, 3, 4]));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('sesami.bad_batch');
    const r = engine.fromText('{"not": "ses"}\nnot json\n');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.window.size).toBe(0);
      expect(r.value.diagnostics.length).toBe(2);
      r.value.window.dispose();
    }
    const t = engine.fromText(text);
    if (!t.ok) throw new Error(t.error.message);
    const f = t.value.window.select({
      ...all,
      from: '2026-02-01T00:00:00Z',
      to: '2026-01-01T00:00:00Z',
    });
    expect(f.ok).toBe(false);
    if (!f.ok) expect(f.error.code).toBe('sesami.bad_filter');
    t.value.window.dispose();
  });
});
