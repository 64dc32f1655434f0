// Entry point for browsers and bundlers (package.json `exports` condition "default"). The .wasm
// file sits next to this one; `new URL(..., import.meta.url)` is the form bundlers such as Vite
// recognise, copy into their output and rewrite, so no configuration is needed.
import createSesamiModule from './sesami.js';
import { Sesami, type CreateOptions } from './index.js';

export * from './index.js';

/** Loads and instantiates the core. Call once and share the result: it is cheap to use. */
export async function createSesami(options: CreateOptions = {}): Promise<Sesami> {
  const source = options.wasm ?? new URL('./sesami.wasm', import.meta.url);
  if (source instanceof ArrayBuffer || source instanceof Uint8Array)
    return new Sesami(await createSesamiModule({ wasmBinary: source }));
  const url = String(source);
  return new Sesami(await createSesamiModule({ locateFile: () => url }));
}
