// Entry point for Node (package.json `exports` condition "node"). Emscripten 3.1.6's own Node
// loader needs require/__dirname and fails in ES modules, so we read the .wasm bytes ourselves
// and hand them over as `wasmBinary`; the glue never touches the file system.
import { readFile } from 'node:fs/promises';

import createSesamiModule from './sesami.js';
import { Sesami, SesamiError, type CreateOptions } from './index.js';

export * from './index.js';

/** Loads and instantiates the core. Call once and share the result: it is cheap to use. */
export async function createSesami(options: CreateOptions = {}): Promise<Sesami> {
  const source = options.wasm ?? new URL('./sesami.wasm', import.meta.url);
  let wasmBinary: ArrayBuffer | Uint8Array;
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    wasmBinary = source;
  } else {
    try {
      wasmBinary = await readFile(source);
    } catch (e) {
      throw new SesamiError(
        'sesami.load_failed',
        `cannot read ${String(source)}: ${(e as Error).message}`,
      );
    }
  }
  return new Sesami(await createSesamiModule({ wasmBinary }));
}
