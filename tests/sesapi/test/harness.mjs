// A real `sesami serve` on a fresh SQLite database, for the SES API tests: the workspace is
// created the way a user would (`sesami workspace create --json`), whose owner key carries the
// SigV4 pair the SDK clients sign with. Every process started here is stopped by its own handle.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// A relative SESAMI_BIN is taken from where npm was started.
export const bin = process.env.SESAMI_BIN
  ? resolve(process.env.INIT_CWD ?? process.cwd(), process.env.SESAMI_BIN)
  : join(repo, 'build', 'dev', 'server', 'cli', 'sesami');

/// A database with workspace "shop"; its owner key's secrets as `workspace create` printed them.
export async function makeWorkspace() {
  if (!existsSync(bin)) throw new Error(`no sesami binary at ${bin}: build it or set SESAMI_BIN`);
  const dir = mkdtempSync(join(tmpdir(), 'sesami-sesapi-'));
  const db = join(dir, 'sesami.db');
  const { stdout } = await run(bin, ['workspace', 'create', 'shop', '--db', db, '--json']);
  const ws = JSON.parse(stdout);
  return { dir, db, ws, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/// `sesami serve` on a free port; resolves once it says where it listens.
export function serve(db, args = []) {
  return new Promise((resolveServe, reject) => {
    const child = spawn(bin, ['serve', '--db', db, '--port', '0', '--log-level', 'warn', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`sesami serve did not start:\n${out}\n${err}`)); }, 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        const ses = out.match(/SES API on (http:\/\/[^\s]+)/);
        resolveServe({
          url: m[1].replace(/\/$/, ''),
          sesUrl: ses ? ses[1].replace(/\/$/, '') : null,  // --ses-api-address's listener
          stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); child.kill('SIGTERM'); }),
        });
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sesami serve exited (${code}):\n${out}\n${err}`)); });
  });
}

/// SESami's own JSON API with the bearer key.
export async function api(srv, key, method, path, body) {
  const res = await fetch(srv.url + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/// The events of one message, polled until `types` (e.g. ['Send', 'Delivery']) are all there.
export async function eventsOf(srv, key, messageId, types, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await api(srv, key, 'GET', `/events?messageId=${encodeURIComponent(messageId)}&limit=100`);
    const have = (r.body?.events ?? []).map((e) => e.type);
    if (types.every((t) => have.includes(t))) return r.body.events;
    if (Date.now() > until) throw new Error(`events of ${messageId}: wanted ${types}, have ${have}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/// The attempt that answered with this message id.
export async function attemptOf(srv, key, messageId) {
  const r = await api(srv, key, 'GET', '/mail/attempts?limit=1000');
  return r.body.attempts.find((a) => a.messageId === messageId);
}

export const credentials = (ws) => ({ accessKeyId: ws.accessKeyId, secretAccessKey: ws.secretAccessKey });
