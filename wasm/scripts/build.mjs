// `npm run build`: the Emscripten CMake build (preset `wasm`, into build/wasm at the repository
// root), then the TypeScript wrapper, all into wasm/dist/. Run from anywhere.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const root = dirname(pkg);
const buildDir = join(root, 'build', 'wasm');
const dist = join(pkg, 'dist');

// Emscripten 3.1.6's JS optimizer (run on every -O2/-O3 link) needs Debian's acorn on NODE_PATH.
const env = { ...process.env };
env.NODE_PATH = ['/usr/share/nodejs', env.NODE_PATH].filter(Boolean).join(delimiter);

function run(cmd, args, cwd) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd, env, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('cmake', ['--preset', 'wasm'], root);
run('cmake', ['--build', buildDir, '--target', 'sesami_wasm', '-j2'], root);

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const f of ['sesami.js', 'sesami.wasm']) copyFileSync(join(buildDir, 'wasm', f), join(dist, f));
run(process.execPath, [join(pkg, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(pkg, 'tsconfig.json')], pkg);
console.log(`built ${dist}`);
