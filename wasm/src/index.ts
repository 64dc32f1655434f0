// The package's API over the Embind module: turns {ok:false, error} answers into SesamiError,
// JSON strings into objects, and owns the lifetime of wasm-side batches. No event logic lives
// here: parsing, filtering, aggregating and classifying all happen in the C++ core.
import type { NativeInput, NativeSession, Outcome, SesamiModule } from './sesami.js';
import type {
  AggregateOptions,
  Aggregation,
  BounceClass,
  ColumnName,
  Columns,
  Diagnostic,
  DictionaryName,
  Filter,
  FilterInput,
  MachineVerdict,
  ParseResult,
  SesEvent,
  TimeInput,
  EmailTemplate,
  RenderedTemplate,
} from './types.js';

export type * from './types.js';

/** An error reported by the core. `code` is its stable id ("sesami.bad_json"). */
export class SesamiError extends Error {
  readonly code: string;
  /** Every rejected item, when the error stands for rejected input items. */
  readonly diagnostics: Diagnostic[];
  constructor(code: string, message: string, diagnostics: Diagnostic[] = []) {
    super(message);
    this.name = 'SesamiError';
    this.code = code;
    this.diagnostics = diagnostics;
  }
}

function unwrap<T>(r: Outcome<T>): T {
  if (!r.ok) throw new SesamiError(r.error.code, r.error.message);
  return r;
}

/** Refuses input that lost items: a caller must never miss events without noticing. */
function strict(diagnostics: Diagnostic[]): void {
  if (diagnostics.length === 0) return;
  const d = diagnostics[0]!;
  const where = d.index !== null ? `item ${d.index}` : `line ${d.line}`;
  const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : '';
  throw new SesamiError(
    d.code,
    `${where}: ${d.path ? d.path + ': ' : ''}${d.message}${more}`,
    diagnostics,
  );
}

function isoTime(t: TimeInput): string {
  if (typeof t === 'string') return t; // the core validates it
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime()))
    throw new SesamiError('sesami.bad_filter', `not a time: ${String(t)}`);
  return d.toISOString();
}

function millis(t: TimeInput | undefined): number {
  if (t === undefined) return NaN; // "not given" to the binding
  if (typeof t === 'number') return t;
  const ms = (t instanceof Date ? t : new Date(t)).getTime();
  if (Number.isNaN(ms)) throw new SesamiError('sesami.bad_filter', `not a time: ${String(t)}`);
  return ms;
}

// Filter object keys → the query parameters the core's filter_from_query reads.
const filterKeys: Record<string, string> = {
  from: 'from',
  to: 'to',
  types: 'type',
  statuses: 'status',
  recipients: 'recipient',
  messageIds: 'messageId',
  configurationSets: 'configurationSet',
  machine: 'machine',
  tags: 'tag',
};

/** A filter as [key, value] query pairs: the core parses and validates them. */
function filterPairs(filter: FilterInput | undefined): string {
  if (filter === undefined) return '';
  if (typeof filter === 'string' || filter instanceof URLSearchParams) {
    const params = typeof filter === 'string' ? new URLSearchParams(filter) : filter;
    return JSON.stringify([...params]);
  }
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(filter as Filter)) {
    if (value === undefined) continue;
    // An unknown key goes through unchanged, so the core rejects it (bad_filter) like a typo
    // in a URL, instead of silently widening the filter.
    const name = filterKeys[key] ?? key;
    if (key === 'from' || key === 'to') pairs.push([name, isoTime(value as TimeInput)]);
    else if (key === 'tags')
      for (const [tag, values] of Object.entries(value as Record<string, string | string[]>))
        for (const v of Array.isArray(values) ? values : [values])
          pairs.push([name, `${tag}=${v}`]);
    else if (Array.isArray(value)) for (const v of value) pairs.push([name, String(v)]);
    else pairs.push([name, String(value)]);
  }
  return JSON.stringify(pairs);
}

function parseLines(jsonLines: string): SesEvent[] {
  // One JSON.parse for the whole list: the lines are objects, so joining them with commas
  // makes one array (newlines are whitespace in JSON).
  if (jsonLines.length === 0) return [];
  return JSON.parse(`[${jsonLines.slice(0, -1).replaceAll('\n', ',')}]`) as SesEvent[];
}

// Batches not disposed explicitly are freed when collected. The token is the native object only:
// holding the Batch itself would keep it alive forever.
const registry = new FinalizationRegistry<{ delete(): void; isDeleted(): boolean }>((native) => {
  if (!native.isDeleted()) native.delete();
});

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/**
 * Runs `use` with `data` copied into wasm memory through `buffer`: text is UTF-8-encoded straight
 * into it (TextEncoder.encodeInto), bytes are copied with one set(). Embind's own std::string
 * conversion copies byte by byte in JavaScript, ~10× slower on megabytes of events.
 */
function withInput<T>(
  buffer: NativeInput,
  data: string | Uint8Array,
  use: (b: NativeInput) => T,
): T {
  try {
    if (typeof data !== 'string') {
      buffer.resize(data.length).set(data);
    } else {
      // One byte per UTF-16 unit fits ASCII, which SES JSON mostly is; grow for the rest
      // (at most 3 bytes per unit) and go on where the encoder stopped.
      let read = 0,
        written = 0;
      let view = buffer.resize(data.length);
      for (;;) {
        const r = textEncoder.encodeInto(read ? data.slice(read) : data, view.subarray(written));
        read += r.read;
        written += r.written;
        if (read >= data.length) break;
        view = buffer.resize(written + (data.length - read) * 3);
      }
      buffer.resize(written);
    }
    return use(buffer);
  } finally {
    buffer.release();
  }
}

/** The strings of one dictionary, decoded on demand. Entry 0 is "" (absent). */
export class Dictionary {
  readonly #batch: Batch;
  readonly #name: DictionaryName;
  #cache: (string | undefined)[] = [];
  /** @internal */
  constructor(batch: Batch, name: DictionaryName) {
    this.#batch = batch;
    this.#name = name;
  }
  get size(): number {
    return this.#raw().offsets.length - 1;
  }
  /** The string with this id. */
  get(id: number): string {
    const hit = this.#cache[id];
    if (hit !== undefined) return hit;
    const { chars, offsets } = this.#raw();
    if (!(id >= 0 && id < offsets.length - 1))
      throw new RangeError(`no entry ${id} in ${this.#name}`);
    const s = textDecoder.decode(chars.subarray(offsets[id]!, offsets[id + 1]!));
    this.#cache[id] = s;
    return s;
  }
  /** Every entry, in id order. */
  toArray(): string[] {
    const out: string[] = [];
    for (let i = 0, n = this.size; i < n; ++i) out.push(this.get(i));
    return out;
  }
  #raw() {
    return this.#batch._native().dictionary(this.#name)!;
  }
}

/**
 * Events in columns, held in wasm memory: load once, then select and aggregate as often as you
 * like; each call returns a small result. Free it with dispose() (or `using`); otherwise it is
 * freed when garbage-collected.
 */
export class Batch {
  #native: NativeSession | undefined;
  #dicts = new Map<DictionaryName, Dictionary>();
  /** Items rejected while parsing the input text (empty for events and columnar input). */
  readonly diagnostics: Diagnostic[];

  /** @internal */
  constructor(native: NativeSession, diagnostics: Diagnostic[]) {
    this.#native = native;
    this.diagnostics = diagnostics;
    registry.register(this, native, this);
  }

  /** @internal */
  _native(): NativeSession {
    if (!this.#native) throw new SesamiError('sesami.disposed', 'this batch has been disposed');
    return this.#native;
  }

  /** Number of events. */
  get size(): number {
    return this._native().size();
  }

  /** Selects the events passing the filter for later aggregate() calls; returns how many. */
  select(filter?: FilterInput): number {
    return unwrap(this._native().select(filterPairs(filter))).count;
  }

  /** Indices of the selected events, ascending (a copy). */
  selection(): Uint32Array {
    return this._native().selection().slice();
  }

  /** Chart series and totals of the selection (or of `options.filter`'s events). */
  aggregate(options: AggregateOptions = {}): Aggregation {
    const n = this._native();
    if (options.filter !== undefined) this.select(options.filter);
    const time = (t: TimeInput | undefined) => (t === undefined ? '' : isoTime(t));
    const r = unwrap(
      n.aggregate(
        options.bucket ?? 'day',
        options.offsetMinutes ?? 0,
        time(options.from),
        time(options.to),
        options.top ?? 10,
      ),
    );
    return JSON.parse(r.json) as Aggregation;
  }

  /**
   * One column as a typed-array view of wasm memory, without copying. The view is valid until the
   * next call into this package (which may grow memory and detach it): copy it with slice() to
   * keep it longer.
   */
  column<K extends ColumnName>(name: K): Columns[K] {
    const v = this._native().column(name);
    if (v === undefined)
      throw new SesamiError('sesami.bad_value', `no column named ${String(name)}`);
    if (name === 'timestamp') {
      return new BigInt64Array(v.buffer, v.byteOffset, v.byteLength / 8) as Columns[K];
    }
    return v as Columns[K];
  }

  /** One string dictionary: id columns index it. */
  dictionary(name: DictionaryName): Dictionary {
    let d = this.#dicts.get(name);
    if (!d) {
      if (this._native().dictionary(name) === undefined)
        throw new SesamiError('sesami.bad_value', `no dictionary named ${String(name)}`);
      d = new Dictionary(this, name);
      this.#dicts.set(name, d);
    }
    return d;
  }

  /** The batch in the wire encoding of GET /events (application/vnd.sesami.columnar). */
  toColumnar(): Uint8Array {
    return this._native().encode().slice();
  }

  /** Frees the wasm memory now. Further calls throw; disposing twice does nothing. */
  dispose(): void {
    if (!this.#native) return;
    registry.unregister(this);
    this.#native.delete();
    this.#native = undefined;
    this.#dicts.clear();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

function readDiagnostics(json: string): Diagnostic[] {
  return json === '[]' ? [] : (JSON.parse(json) as Diagnostic[]);
}

/**
 * Collects events for one batch: add() text, events or more text, then finish(). The builder holds
 * wasm memory until finish() or dispose().
 */
export class BatchBuilder {
  #native: NativeSession | undefined;
  readonly #input: NativeInput;
  #diagnostics: Diagnostic[] = [];

  /** @internal */
  constructor(native: NativeSession, input: NativeInput) {
    this.#native = native;
    this.#input = input;
    registry.register(this, native, this);
  }

  #live(): NativeSession {
    if (!this.#native)
      throw new SesamiError('sesami.disposed', 'this builder is finished or disposed');
    return this.#native;
  }

  /**
   * Adds SES payload text (any shape; rejected items become the batch's diagnostics, with lines
   * counted per call) or normalized events. Returns the number of events added.
   */
  add(input: string | readonly SesEvent[]): number {
    const n = this.#live();
    if (typeof input === 'string') {
      const r = unwrap(withInput(this.#input, input, (b) => n.appendText(b)));
      this.#diagnostics.push(...readDiagnostics(r.diagnostics));
      return r.count;
    }
    const lines = input.map((e) => JSON.stringify(e)).join('\n');
    return unwrap(withInput(this.#input, lines, (b) => n.appendEvents(b))).count;
  }

  /** The batch of everything added; the builder is used up. */
  finish(): Batch {
    const n = this.#live();
    unwrap(n.finish());
    registry.unregister(this);
    this.#native = undefined;
    return new Batch(n, this.#diagnostics);
  }

  dispose(): void {
    if (!this.#native) return;
    registry.unregister(this);
    this.#native.delete();
    this.#native = undefined;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

export interface DemoOptions {
  /** Normalized events to aim for (±10 %, duplicates not counted); default 50 000. */
  events?: number;
  /** The same seed gives the same data; default 42. */
  seed?: number;
  /** Days covered, ending at `end`; default 90. */
  days?: number;
  /** End of the period; default 2026-01-01T00:00:00Z. */
  end?: TimeInput;
  /** Payloads per yielded chunk; default 10 000. */
  chunk?: number;
}

/** What a bounce's fields say about the address. */
export interface BounceInput {
  type: string;
  subType?: string;
  status?: string;
  diagnosticCode?: string;
}

/** The SESami core, instantiated. Create it with createSesami(). */
export class Sesami {
  readonly #m: SesamiModule;
  // One input buffer for every call: calls are synchronous, so they never share it at once.
  readonly #input: NativeInput;
  /** The core's version (the CMake project version). */
  readonly version: string;

  /** @internal */
  constructor(module: SesamiModule) {
    this.#m = module;
    this.#input = new module.Input();
    this.version = module.version();
  }

  /**
   * Normalized events from SES payloads of any shape (SNS, EventBridge, event publishing,
   * classic notifications, SQS, Lambda) as one document, a JSON array or JSON Lines: the events
   * `sesami parse` prints. Throws SesamiError if any item is rejected (see parseAll).
   */
  parse(text: string): SesEvent[] {
    const r = this.parseAll(text);
    strict(r.diagnostics);
    return r.events;
  }

  /** Like parse, but keeps the good items and reports the rejected ones. */
  parseAll(text: string): ParseResult {
    const r = unwrap(withInput(this.#input, text, (b) => this.#m.parse(b)));
    return {
      events: parseLines(r.jsonLines),
      diagnostics: readDiagnostics(r.diagnostics),
      documents: r.documents,
      skipped: r.skipped,
    };
  }

  /** Exactly the bytes `sesami parse` writes: one event per line, each ending in "\n". */
  parseToJsonLines(text: string): string {
    const r = unwrap(withInput(this.#input, text, (b) => this.#m.parse(b)));
    strict(readDiagnostics(r.diagnostics));
    return r.jsonLines;
  }

  /**
   * Loads events into a wasm-side columnar batch: SES payload text (parsed; rejected items in
   * batch.diagnostics), normalized events (objects as parse() returns them), or the bytes of the
   * server's columnar /events response.
   */
  batch(input: string | readonly SesEvent[] | Uint8Array | ArrayBuffer): Batch {
    if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
      const native = new this.#m.Session();
      try {
        const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
        unwrap(withInput(this.#input, bytes, (b) => native.loadColumnar(b)));
      } catch (e) {
        native.delete();
        throw e;
      }
      return new Batch(native, []);
    }
    if (typeof input !== 'string' && !Array.isArray(input))
      throw new SesamiError('sesami.wrong_type', 'batch: expected text, events or columnar bytes');
    const builder = this.batchBuilder();
    try {
      builder.add(input);
    } catch (e) {
      builder.dispose();
      throw e;
    }
    return builder.finish();
  }

  /** Builds one batch from many pieces (pages of an API, chunks of a file) without joining them. */
  batchBuilder(): BatchBuilder {
    return new BatchBuilder(new this.#m.Session(), this.#input);
  }

  /**
   * The demo data set `sesami demo` imports (include/sesami/demo.hpp): realistic SES payloads,
   * the same for the same options. Yields JSON Lines text, `chunk` payloads at a time.
   */
  *demoPayloads(options: DemoOptions = {}): Generator<string, void, undefined> {
    const g = new this.#m.DemoGenerator(
      options.events ?? 50_000,
      options.seed ?? 42,
      options.days ?? 90,
      millis(options.end),
    );
    try {
      for (
        let text = g.next(options.chunk ?? 10_000);
        text.length > 0;
        text = g.next(options.chunk ?? 10_000)
      )
        yield text;
    } finally {
      g.delete();
    }
  }

  /**
   * The aggregation `sesami aggregate` prints for this text (or batch), as an object. Text with
   * rejected items throws SesamiError; load it with batch() to aggregate the good items.
   */
  aggregate(input: string | Batch, options: AggregateOptions = {}): Aggregation {
    if (input instanceof Batch)
      return input.aggregate({ ...options, filter: options.filter ?? '' });
    const b = this.batch(input);
    try {
      strict(b.diagnostics);
      return b.aggregate({ ...options, filter: options.filter ?? '' });
    } finally {
      b.dispose();
    }
  }

  /**
   * The aggregation GET /stats answers for this text's events: each event stored once (by
   * identity), rolled up per hour as the server's store keeps it, then aggregated from those
   * rollups. Equal to aggregate() over the distinct events when SES sends at most one send,
   * delivery, bounce and complaint per recipient; offsetMinutes must be whole hours. Text with
   * rejected items throws SesamiError.
   */
  aggregateRollups(text: string, options: Omit<AggregateOptions, 'filter'> = {}): Aggregation {
    const time = (t: TimeInput | undefined) => (t === undefined ? '' : isoTime(t));
    const r = unwrap(
      withInput(this.#input, text, (b) =>
        this.#m.aggregateRollups(
          b,
          options.bucket ?? 'day',
          options.offsetMinutes ?? 0,
          time(options.from),
          time(options.to),
          options.top ?? 10,
        ),
      ),
    );
    strict(readDiagnostics(r.diagnostics));
    return JSON.parse(r.json) as Aggregation;
  }

  /** Our class of a bounce: SES's labels corrected by the enhanced status code and auto-replies. */
  classifyBounce(bounce: BounceInput): BounceClass {
    return this.#m.classifyBounce(
      bounce.type,
      bounce.subType ?? '',
      bounce.status ?? '',
      bounce.diagnosticCode ?? '',
    ) as BounceClass;
  }

  /** Whether an open came from a privacy proxy or pre-fetcher rather than a person. */
  classifyOpen(userAgent: string): MachineVerdict {
    return this.#m.classifyOpen(userAgent);
  }

  /** Whether a click came from a security scanner or script; `sentAt` enables the timing rule. */
  classifyClick(userAgent: string, clickedAt: TimeInput, sentAt?: TimeInput): MachineVerdict {
    return this.#m.classifyClick(
      userAgent,
      millis(clickedAt),
      sentAt === undefined ? 0 : millis(sentAt),
    );
  }

  /** The first RFC 3463 enhanced status code in a diagnostic text ("5.1.1"), or null. */
  findEnhancedStatus(text: string): string | null {
    return this.#m.findEnhancedStatus(text);
  }

  /** The identity of a normalized event (recomputed from its fields, not read from `id`). */
  eventId(event: SesEvent): string {
    return unwrap(this.#m.inspectEvent(JSON.stringify(event))).id;
  }

  /** Why this event puts its recipient on the suppression list, or null. */
  suppressionReason(event: SesEvent): 'hard_bounce' | 'suppressed' | 'complaint' | null {
    return unwrap(this.#m.inspectEvent(JSON.stringify(event))).suppressionReason as
      | 'hard_bounce'
      | 'suppressed'
      | 'complaint'
      | null;
  }

  /** The wasm heap: its size (it grows, never shrinks) and the bytes allocated in it now. */
  memory(): { heapBytes: number; usedBytes: number } {
    return this.#m.memory();
  }

  /**
   * An email template rendered with SES's rules, exactly as the server renders it (the same core):
   * {{var}}, {{a.b}}, if/unless/each/with, inline partials; no HTML escaping (SES does none).
   * `data` is an object or its JSON text. Throws SesamiError on a syntax error (the message names
   * the part and line), data that is not an object, or a template past the rendering limits.
   */
  renderTemplate(template: EmailTemplate, data: object | string = {}): RenderedTemplate {
    const json = typeof data === 'string' ? data : JSON.stringify(data);
    const r = unwrap(
      this.#m.renderTemplate(
        template.subject ?? '',
        template.text ?? '',
        template.html ?? '',
        json,
      ),
    );
    return {
      subject: r.subject,
      text: r.text,
      html: r.html,
      missing: JSON.parse(r.missing) as string[],
    };
  }

  /** The filter's canonical query string (validated by the core): for shareable URLs. */
  filterToQuery(filter: FilterInput): string {
    const pairs = JSON.parse(
      unwrap(this.#m.canonicalFilter(filterPairs(filter))).json,
    ) as string[][];
    return new URLSearchParams(pairs).toString();
  }
}

/** How the .wasm file is found, for environments the defaults do not cover. */
export interface CreateOptions {
  /** The module's bytes, or where to fetch them (default: next to this file). */
  wasm?: ArrayBuffer | Uint8Array | URL | string;
}
