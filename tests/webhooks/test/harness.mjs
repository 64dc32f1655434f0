// The webhook tests' parts: a real `sesami serve` (SQLite file or a fresh PostgreSQL schema), a
// workspace made with the CLI (its owner API key, its EventBridge ingest token), EventBridge
// events posted the way AWS's API destination does, and a receiver on loopback that checks every
// message with the Standard Webhooks reference implementation. Every process started here is
// stopped through its own handle.
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../../..');
export const bin = process.env.SESAMI_BIN
  ? resolve(process.env.INIT_CWD ?? process.cwd(), process.env.SESAMI_BIN)
  : join(repo, 'build', 'dev', 'server', 'cli', 'sesami');
const pgBase = process.env.SESAMI_TEST_PG || 'postgresql://sesami:sesami@127.0.0.1:5432/sesami_test';
export const ACCOUNT = '123456789012';

/// A database: an SQLite file in a temp dir, or a PostgreSQL schema of its own (`backend`).
export async function makeDatabase(backend) {
  if (!existsSync(bin)) throw new Error(`no sesami binary at ${bin}: build it or set SESAMI_BIN`);
  const dir = mkdtempSync(join(tmpdir(), 'sesami-webhooks-'));
  if (backend === 'sqlite')
    return { dir, db: join(dir, 'sesami.db'), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  const schema = `wh${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await run('psql', [pgBase, '-q', '-c', `CREATE SCHEMA ${schema}`]);
  const db = `${pgBase}${pgBase.includes('?') ? '&' : '?'}options=-csearch_path%3D${schema}`;
  return {
    dir, db,
    cleanup: async () => {
      await run('psql', [pgBase, '-q', '-c', `DROP SCHEMA ${schema} CASCADE`]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/// A workspace with the CLI: { id, apiKey, ingestToken, ingestSecret }, accepting ACCOUNT.
export async function makeWorkspace(d, name) {
  // The server's key (as serve gets it) and the temp dir as working directory: nothing the CLI
  // or the server makes by default lands in the source tree.
  const { stdout } = await run(bin, ['workspace', 'create', name, '--db', d.db, '--json',
    '--secret-key-file', join(d.dir, 'server.key')], { cwd: d.dir });
  const ws = JSON.parse(stdout);
  await run(bin, ['workspace', 'connect-account', ws.id, ACCOUNT, '--db', d.db], { cwd: d.dir });
  return ws;
}

/// `sesami serve` on a free port, with `args` added; resolves once it listens.
export function serve(d, args = []) {
  return new Promise((resolveServe, reject) => {
    const child = spawn(bin, ['serve', '--db', d.db, '--port', '0', '--log-level', 'warn',
      '--secret-key-file', join(d.dir, 'server.key'), ...args], { cwd: d.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`sesami serve did not start:\n${out}\n${err}`)); }, 20000);
    const onExit = (code) => { clearTimeout(timer); reject(new Error(`sesami serve exited (${code}):\n${out}\n${err}`)); };
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolveServe({
          url: m[1].replace(/\/$/, ''),
          child,
          stop: () => new Promise((r) => { if (child.exitCode !== null || child.signalCode) return r(); child.once('exit', r); child.kill('SIGTERM'); }),
          kill9: () => new Promise((r) => { child.once('exit', r); child.kill('SIGKILL'); }),
        });
      }
    });
    child.stderr.on('data', (chunk) => { err += chunk; });
    child.once('exit', onExit);
  });
}

/// A JSON API call with the workspace's key: { status, body }.
export async function api(server, key, method, path, body) {
  const res = await fetch(server.url + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const fixture = (name) => JSON.parse(readFileSync(join(repo, 'tests', 'fixtures', 'eventbridge', name), 'utf8'));
const templates = { delivery: fixture('event-delivery.json'), bounce: fixture('event-bounce.json') };

/// An EventBridge event of `kind` for message number n (a distinct SES event per n).
export function sesEvent(kind, n) {
  const e = structuredClone(templates[kind]);
  const mid = `EXAMPLE-webhooks-${kind}-${n}`;
  e.id = `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
  e.detail.mail.messageId = mid;
  e.detail.mail.commonHeaders.messageId = mid;
  e.detail.mail.tags['sesami-correlation-id'] = [`order-${n}`];
  return e;
}

/// Posts one event as the EventBridge API destination does; returns the HTTP status.
export async function ingest(server, ws, event) {
  const res = await fetch(`${server.url}/ingest/eventbridge/${ws.ingestToken}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Sesami-Secret': ws.ingestSecret },
    body: JSON.stringify(event),
  });
  await res.arrayBuffer();
  return res.status;
}

/// A receiver on 127.0.0.1: verifies each message with `secrets` (any may match, as during a
/// rotation) through the reference implementation, records it, and answers what `answer(msg)`
/// returns ({status, headers?}; default 204). Keep-alive, as a real endpoint would be.
export function receiver(answer = () => ({ status: 204 })) {
  const r = { secrets: [], messages: [], verified: [], failures: [], url: '' };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': req.headers['webhook-id'],
        'webhook-timestamp': req.headers['webhook-timestamp'],
        'webhook-signature': req.headers['webhook-signature'],
      };
      const msg = { headers, body, path: req.url, verifiedWith: [] };
      for (const s of r.secrets) {
        try {
          new Webhook(s).verify(body, headers);
          msg.verifiedWith.push(s);
        } catch { /* not this secret */ }
      }
      r.messages.push(msg);
      if (msg.verifiedWith.length === 0) {
        r.failures.push(msg);
        res.writeHead(401).end('bad signature');
        return;
      }
      const a = answer(msg);
      if (a.status >= 200 && a.status < 300) r.verified.push(msg);
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? '');
    });
  });
  server.keepAliveTimeout = 30000;
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    r.url = `http://127.0.0.1:${server.address().port}`;
    r.close = () => new Promise((c) => { server.closeAllConnections(); server.close(c); });
    ok(r);
  }));
}

/// Waits until `cond()` holds (a test's deadline, not a measurement): polls every 50 ms.
export async function until(cond, what, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
