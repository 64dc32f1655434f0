// Every command line of README.md's "Using it" → "Command line" block, read from the README at
// test time (so the README cannot drift), run with the real `sesami` against a fresh directory
// and database: each must exit 0. Substitutions, all visible below: `sesami` is this build's
// binary; export.jsonl and exports/ are a fixture export; KEY is the API key the README's own
// `sesami workspace create ... --json` printed; `sesami serve` runs in the background on a free
// port (SESAMI_URL points the later commands at it); demo sizes are cut to keep the test short.
// Run by ctest as cli:readme:  node --test tests/cli/readme_cli.test.mjs  (SESAMI_BIN=...).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.env.SESAMI_BIN ?? join(repo, 'build', 'dev', 'server', 'cli', 'sesami');

/// The command lines of the README's "### Command line" block under "## Using it", comments off.
export function readmeCommandLines(markdown) {
  const using = markdown.indexOf('\n## Using it');
  assert.ok(using >= 0, 'README has a "## Using it" section');
  const cl = markdown.indexOf('\n### Command line', using);
  assert.ok(cl >= 0, 'README has a "### Command line" section under "Using it"');
  const open = markdown.indexOf('```sh\n', cl);
  const close = markdown.indexOf('\n```', open + 6);
  assert.ok(open >= 0 && close > open, 'the Command line section has a ```sh block');
  return markdown.slice(open + 6, close).split('\n')
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}

/// Shell-like words: whitespace-separated, '...' and "..." quoted, `> FILE` kept as a word.
function words(line) {
  const out = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  let m;
  while ((m = re.exec(line))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

function run(args, { cwd, env, stdoutFile }) {
  return new Promise((res) => {
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.once('exit', (code) => {
      if (stdoutFile) writeFileSync(join(cwd, stdoutFile), out);
      res({ code, out, err });
    });
  });
}

function serveInBackground(args, { cwd, env }) {
  return new Promise((res, rej) => {
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGTERM'); rej(new Error(`sesami serve did not start:\n${out}\n${err}`)); }, 30000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        res({ url: m[1], out: () => out, stop: () => new Promise((r) => { if (child.exitCode !== null) return r(child.exitCode); child.once('exit', r); child.kill('SIGTERM'); }) });
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); rej(new Error(`sesami serve exited (${code}):\n${out}\n${err}`)); });
  });
}

test('every command line of the README runs as written against a fresh database', { timeout: 240_000 }, async () => {
  assert.ok(existsSync(bin), `no sesami binary at ${bin}: build it or set SESAMI_BIN`);
  const lines = readmeCommandLines(readFileSync(join(repo, 'README.md'), 'utf8'));
  assert.ok(lines.length >= 10, `the README's command lines: ${lines.join(' | ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'sesami-readme-'));
  // The files the README's lines name, in the directory they run in.
  const fixture = join(repo, 'tests', 'store', 'fixtures', 'payloads', 'events.jsonl');
  copyFileSync(fixture, join(dir, 'export.jsonl'));
  mkdirSync(join(dir, 'exports'));
  copyFileSync(fixture, join(dir, 'exports', 'export.jsonl'));
  mkdirSync(join(dir, 'web', 'dist'), { recursive: true });
  writeFileSync(join(dir, 'web', 'dist', 'index.html'), '<!doctype html><title>SESami</title>');
  const env = { ...process.env };
  for (const k of ['SESAMI_DB', 'SESAMI_URL', 'SESAMI_API_KEY', 'SESAMI_REDIS', 'SESAMI_AWS_ACCOUNT_ID']) delete env[k];
  let key = '';
  let server;
  const ran = [];
  try {
    for (const line of lines) {
      let w = words(line);
      assert.equal(w[0], 'sesami', `a README command line starts with sesami: ${line}`);
      w = w.slice(1).map((x) => (x === 'KEY' ? key : x));
      if (w.includes('') || (line.includes('KEY') && !key)) assert.fail(`${line}: no API key yet (the README creates one with workspace create --json before using KEY)`);
      // "--events N" of demo: the same command, smaller.
      const ev = w.indexOf('--events');
      if (w[0] === 'demo' && ev >= 0) w[ev + 1] = '2000';
      let stdoutFile;
      const gt = w.indexOf('>');
      if (gt >= 0) { stdoutFile = w[gt + 1]; w = w.slice(0, gt); }
      if (w[0] === 'serve') {
        const p = w.indexOf('--port');
        if (p >= 0) w[p + 1] = String(await freePort());
        server = await serveInBackground(w, { cwd: dir, env });
        env.SESAMI_URL = server.url;
        assert.equal((await fetch(`${server.url}/health`)).status, 200);
        ran.push(line);
        continue;
      }
      const r = await run(w, { cwd: dir, env, stdoutFile });
      assert.equal(r.code, 0, `${line}\nexit ${r.code}\nstdout: ${r.out.slice(0, 2000)}\nstderr: ${r.err.slice(0, 2000)}`);
      if (w[0] === 'workspace' && w[1] === 'create' && w.includes('--json')) key = JSON.parse(r.out).apiKey;
      ran.push(line);
    }
    // The lines did what they say, not just exit 0.
    assert.ok(readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').length > 1, 'parse wrote events.jsonl');
    assert.ok(ran.some((l) => l.startsWith('sesami serve')), 'the README starts the server');
  } finally {
    if (server) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
