// The Emscripten glue (dist/sesami.js, built by wasm/CMakeLists.txt from bindings.cpp): what the
// wrapper uses of it. Internal: the package's public types are in types.ts and index.ts.

/** {ok:true, ...} or {ok:false, error}: how every fallible binding answers. */
export type Outcome<T> =
  | ({ ok: true } & T)
  | { ok: false; error: { code: string; message: string } };

export interface ParseCounts {
  documents: number;
  skipped: number;
  diagnostics: string;
}

/** Bytes written by JS straight into wasm memory, then read by a call. */
export interface NativeInput {
  resize(size: number): Uint8Array;
  release(): void;
  delete(): void;
  isDeleted(): boolean;
}

export interface NativeSession {
  appendText(text: NativeInput): Outcome<{ count: number } & ParseCounts>;
  appendEvents(jsonLines: NativeInput): Outcome<{ count: number }>;
  finish(): Outcome<{ count: number }>;
  loadColumnar(bytes: NativeInput): Outcome<{ count: number }>;
  size(): number;
  select(filterPairs: string): Outcome<{ count: number }>;
  selection(): Uint32Array;
  aggregate(
    bucket: string,
    offsetMinutes: number,
    from: string,
    to: string,
    top: number,
  ): Outcome<{ json: string }>;
  column(name: string): Uint8Array | Uint32Array | undefined;
  dictionary(name: string): { chars: Uint8Array; offsets: Uint32Array } | undefined;
  encode(): Uint8Array;
  clear(): void;
  delete(): void;
  isDeleted(): boolean;
}

export interface SesamiModule {
  version(): string;
  memory(): { heapBytes: number; usedBytes: number };
  parse(text: NativeInput): Outcome<{ jsonLines: string; count: number } & ParseCounts>;
  classifyBounce(type: string, subType: string, status: string, diagnostic: string): string;
  classifyOpen(userAgent: string): { machine: boolean; reason: string };
  classifyClick(
    userAgent: string,
    clickedAt: number,
    sentAt: number,
  ): { machine: boolean; reason: string };
  findEnhancedStatus(text: string): string | null;
  inspectEvent(eventJson: string): Outcome<{ id: string; suppressionReason: string | null }>;
  canonicalFilter(filterPairs: string): Outcome<{ json: string }>;
  renderTemplate(
    subject: string,
    text: string,
    html: string,
    dataJson: string,
  ): Outcome<{ subject: string; text: string; html: string; missing: string }>;
  aggregateRollups(
    text: NativeInput,
    bucket: string,
    offsetMinutes: number,
    from: string,
    to: string,
    top: number,
  ): Outcome<{ json: string } & ParseCounts>;
  Session: new () => NativeSession;
  Input: new () => NativeInput;
  DemoGenerator: new (
    events: number,
    seed: number,
    days: number,
    end: number,
  ) => {
    next(maxPayloads: number): string;
    delete(): void;
  };
  HEAPU8?: Uint8Array;
}

export interface ModuleOptions {
  wasmBinary?: ArrayBuffer | Uint8Array;
  locateFile?: (path: string, prefix: string) => string;
  instantiateWasm?: unknown;
}

declare const createSesamiModule: (options?: ModuleOptions) => Promise<SesamiModule>;
export default createSesamiModule;
