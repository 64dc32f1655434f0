// The ONE place the app instantiates the wasm core (@sesami/core). Pages talk to the small
// interface below; this file adapts the package's Batch to it, so a change there touches one file.
// Everything that can fail comes back as a Result; the package's SesamiError never reaches a page.
import type {
  Batch,
  Diagnostic,
  EmailTemplate,
  Filter,
  RenderedTemplate,
  Sesami,
} from '@sesami/core';
import {
  BOUNCE_CLASSES,
  EVENT_TYPES,
  type Aggregation,
  type Bucket,
  type EventFilter,
  type Result,
  type SesEvent,
} from './types';
import type { EventRow } from './event-text';

export type { Aggregation, EmailTemplate, RenderedTemplate };

/// The events matching a filter, inside a loaded window, in the window's order (newest first for
/// the server's /events).
export interface Selection {
  readonly count: number;
  row(index: number): EventRow;
  aggregate(bucket: Bucket, from: number, to: number): Result<Aggregation>;
  dispose(): void;
}

/// A window of events held in wasm memory (columnar), re-filtered locally.
export interface EventWindow {
  readonly size: number;
  /// Earliest and latest event time, ms since epoch ({0, 0} when empty).
  span(): { from: number; to: number };
  select(filter: EventFilter): Result<Selection>;
  dispose(): void;
}

export interface Engine {
  version: string;
  /// The server's columnar /events response, loaded without per-row copies.
  fromColumnar(bytes: Uint8Array): Result<EventWindow>;
  /// Normalized events as the API's JSON returns them.
  fromEvents(events: readonly SesEvent[]): Result<EventWindow>;
  /// Any text the core parses (JSON Lines, SNS / EventBridge payloads, arrays): for Explore.
  /// Rejected items do not stop the rest; they come back as diagnostics.
  fromText(text: string): Result<{ window: EventWindow; diagnostics: Diagnostic[] }>;
  /// A template rendered with SES's rules by the same core the server renders with (previews).
  renderTemplate(template: EmailTemplate, dataJson: string): Result<RenderedTemplate>;
}

function fail(
  e: unknown,
  fallback = 'sesami.error',
): { ok: false; error: { status: number; code: string; message: string } } {
  const err = e as { code?: unknown; message?: unknown };
  return {
    ok: false,
    error: {
      status: 0,
      code: typeof err?.code === 'string' ? err.code : fallback,
      message: String(err?.message ?? e),
    },
  };
}

/// The app's filter in the package's terms (the same criteria GET /events takes).
export function toCoreFilter(f: EventFilter): Filter {
  const out: Filter = { machine: f.machine };
  if (f.from) out.from = f.from;
  if (f.to) out.to = f.to;
  if (f.type.length) out.types = [...f.type];
  if (f.status.length) out.statuses = [...f.status];
  if (f.recipient) out.recipients = [f.recipient];
  if (f.messageId) out.messageIds = [f.messageId];
  if (f.tag) {
    const eq = f.tag.indexOf('=');
    out.tags = { [f.tag.slice(0, eq)]: f.tag.slice(eq + 1) };
  }
  return out;
}

/// Reads rows straight from the batch's columns. Column views are wasm memory and detach when it
/// grows, so they are re-fetched when that happened (a detached view has a zero-length buffer).
function rowReader(batch: Batch) {
  let cols: ReturnType<typeof fetchCols> | undefined;
  function fetchCols() {
    return {
      timestamp: batch.column('timestamp'),
      type: batch.column('type'),
      flags: batch.column('flags'),
      message: batch.column('message'),
      recipient: batch.column('recipient'),
      link: batch.column('link'),
      sender: batch.column('sender'),
      subject: batch.column('subject'),
    };
  }
  const dict = {
    message: batch.dictionary('message'),
    recipient: batch.dictionary('recipient'),
    link: batch.dictionary('link'),
    sender: batch.dictionary('sender'),
    subject: batch.dictionary('subject'),
  };
  return (i: number): EventRow => {
    if (!cols || cols.type.buffer.byteLength === 0) cols = fetchCols();
    const c = cols;
    const flags = c.flags[i];
    const type = EVENT_TYPES[c.type[i]] ?? 'unknown';
    // Dictionary reads call into wasm and may detach the views: read every id first.
    const ids = {
      m: c.message[i],
      r: c.recipient[i],
      l: c.link[i],
      s: c.sender[i],
      j: c.subject[i],
    };
    const ts = Number(c.timestamp[i]);
    return {
      timestamp: new Date(ts).toISOString(),
      type,
      recipient: dict.recipient.get(ids.r),
      messageId: dict.message.get(ids.m),
      subject: dict.subject.get(ids.j),
      sender: dict.sender.get(ids.s),
      machine: (flags & 1) !== 0,
      bounceClass: BOUNCE_CLASSES[(flags >> 1) & 7] ?? '',
      link: dict.link.get(ids.l),
    };
  };
}

/// Wraps a package Batch as the app's EventWindow. The batch keeps one current selection, so each
/// Selection remembers its filter and re-selects if another selection ran since.
export function windowFromBatch(batch: Batch): EventWindow {
  const read = rowReader(batch);
  let generation = 0;
  let disposed = false;
  return {
    get size() {
      return disposed ? 0 : batch.size;
    },
    span() {
      const ts = batch.column('timestamp');
      if (ts.length === 0) return { from: 0, to: 0 };
      let lo = ts[0],
        hi = ts[0];
      for (let i = 1; i < ts.length; i++) {
        const t = ts[i];
        if (t < lo) lo = t;
        else if (t > hi) hi = t;
      }
      return { from: Number(lo), to: Number(hi) };
    },
    select(filter) {
      const core = toCoreFilter(filter);
      let indices: Uint32Array;
      try {
        batch.select(core);
        indices = batch.selection();
      } catch (e) {
        return fail(e, 'sesami.bad_filter');
      }
      const mine = ++generation;
      return {
        ok: true,
        value: {
          count: indices.length,
          row: (i) => read(indices[i]),
          aggregate(bucket, from, to) {
            try {
              if (generation !== mine) {
                batch.select(core);
                generation = mine;
              }
              return { ok: true, value: batch.aggregate({ bucket, from, to }) };
            } catch (e) {
              return fail(e);
            }
          },
          dispose() {
            indices = new Uint32Array(0);
          },
        },
      };
    },
    dispose() {
      disposed = true;
      batch.dispose();
    },
  };
}

export function engineFrom(s: Sesami): Engine {
  return {
    version: s.version,
    fromColumnar(bytes) {
      try {
        return { ok: true, value: windowFromBatch(s.batch(bytes)) };
      } catch (e) {
        return fail(e, 'sesami.bad_batch');
      }
    },
    fromEvents(events) {
      try {
        return { ok: true, value: windowFromBatch(s.batch(events)) };
      } catch (e) {
        return fail(e, 'sesami.bad_json');
      }
    },
    fromText(text) {
      try {
        const b = s.batch(text);
        return { ok: true, value: { window: windowFromBatch(b), diagnostics: b.diagnostics } };
      } catch (e) {
        return fail(e, 'sesami.bad_json');
      }
    },
    renderTemplate(template, dataJson) {
      try {
        return { ok: true, value: s.renderTemplate(template, dataJson) };
      } catch (e) {
        return fail(e, 'sesami.bad_value');
      }
    },
  };
}

let loading: Promise<Result<Engine>> | undefined;

/// Loads the module once (lazily: the sign-in screen does not pay for it); later calls share it.
export function engine(): Promise<Result<Engine>> {
  loading ??= (async () => {
    try {
      const [{ createSesami }, wasmUrl] = await Promise.all([
        import('@sesami/core'),
        import('@sesami/core/sesami.wasm?url').then((m) => m.default as string),
      ]);
      return {
        ok: true,
        value: engineFrom(await createSesami({ wasm: new URL(wasmUrl, document.baseURI) })),
      };
    } catch (e) {
      loading = undefined; // a network hiccup should not poison later attempts
      return fail(e, 'wasm.unavailable');
    }
  })();
  return loading;
}
