// Shared by the tests: the built package (dist/), the repository's fixtures, the native binary.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const repoDir = dirname(pkgDir);
export const fixturesDir = join(repoDir, 'tests', 'fixtures');

/** Every fixture file under tests/fixtures (recursively), as paths relative to it, sorted. */
export function fixtures() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(json|jsonl|txt)$/.test(name)) out.push(relative(fixturesDir, p));
    }
  };
  walk(fixturesDir);
  return out;
}

export function fixture(rel) {
  return readFileSync(join(fixturesDir, rel), 'utf8');
}

/** The package as a consumer gets it from `import ... from '@sesami/core'` in Node. */
export async function load() {
  const mod = await import(join(pkgDir, 'dist', 'node.js'));
  return { mod, sesami: await mod.createSesami() };
}
