// End-to-end harness: a real `sesami serve` over a fresh database filled by `sesami demo`,
// serving web/dist, driven in Debian's Chromium through playwright-core. Every process started
// here is stopped by its own handle.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const repo = resolve(webDir, '..');
export const dist = join(webDir, 'dist');
export const screenshots = join(repo, 'docs', 'screenshots');
// A relative SESAMI_BIN is taken from where npm was started (`npm --prefix web` runs here, in web/).
export const bin = process.env.SESAMI_BIN
  ? resolve(process.env.INIT_CWD ?? process.cwd(), process.env.SESAMI_BIN)
  : join(repo, 'build', 'web', 'server', 'cli', 'sesami');

export const OWNER = { email: 'owner@example.com', password: 'correct horse battery staple' };
export const VIEWER = { email: 'viewer@example.com', password: 'viewer password 1234' };
export const SECOND = 'second-shop';

/// A database with `events` demo events and two users (owner, viewer) in workspace "default".
export async function makeDatabase(events = 20000) {
  if (!existsSync(bin)) throw new Error(`no sesami binary at ${bin}: build it or set SESAMI_BIN`);
  if (!existsSync(join(dist, 'index.html')))
    throw new Error('no web/dist: `npm run test:e2e` builds it; or run `npm run build`');
  const dir = mkdtempSync(join(tmpdir(), 'sesami-e2e-'));
  const db = join(dir, 'sesami.db');
  await run(bin, ['demo', '--db', db, '--events', String(events), '--json'], {
    maxBuffer: 1 << 24,
  });
  for (const [u, role] of [
    [OWNER, 'owner'],
    [VIEWER, 'viewer'],
  ])
    await run(bin, ['user', 'add', u.email, '--db', db, '--role', role, '--password', u.password]);
  // A second, empty workspace where the owner is only a viewer: workspace switching and isolation.
  await run(bin, ['workspace', 'create', 'Second shop', '--db', db, '--json']);
  await run(bin, [
    'user',
    'add',
    OWNER.email,
    '--db',
    db,
    '--workspace',
    SECOND,
    '--role',
    'viewer',
    '--password',
    OWNER.password,
  ]);
  return { dir, db, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/// `sesami serve` on a free port; resolves once it says where it listens. `args` and `env` add to
/// the command line and the environment.
export function serve(db, { args = [], env = {} } = {}) {
  return new Promise((resolveServe, reject) => {
    const child = spawn(
      bin,
      ['serve', '--db', db, '--port', '0', '--static-dir', dist, '--log-level', 'warn', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    );
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`sesami serve did not start:\n${out}\n${err}`));
    }, 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolveServe({
          url: m[1].replace(/\/$/, ''),
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null) return r();
              child.once('exit', r);
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sesami serve exited (${code}):\n${out}\n${err}`));
    });
  });
}

export async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/// A page whose console errors and failed requests are collected, so tests can assert none.
export async function newPage(b, baseURL, opts = {}) {
  const context = await b.newContext({
    baseURL,
    viewport: opts.viewport ?? { width: 1360, height: 900 },
    colorScheme: opts.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(m.text());
  });
  return page;
}

export async function signIn(page, user = OWNER) {
  await page.goto('/#/');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#main').waitFor();
}

export async function shot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: false });
}

/// Chromium reports 4xx answers the page expects (the signed-out session check, a refused send)
/// as console errors about failed resources; those are the API working. Anything else is a bug.
export const realErrors = (page) => page.errors.filter((e) => !/Failed to load resource/.test(e));

/// The common setup of a test file: a demo database with `events` events, `sesami serve` over it
/// (`serveOpts` as serve()'s), one Chromium; all stopped after the file's tests. The returned
/// object's db / server / chrome are set once the `before` hook ran; page() opens a new page.
export function startDashboard({ events = 20000, serveOpts = {} } = {}) {
  const env = {
    db: null,
    server: null,
    chrome: null,
    page: (opts) => newPage(env.chrome, env.server.url, opts),
  };
  before(async () => {
    env.db = await makeDatabase(events);
    env.server = await serve(env.db.db, serveOpts);
    env.chrome = await browser();
  });
  after(async () => {
    await env.chrome?.close();
    await env.server?.stop();
    env.db?.cleanup();
  });
  return env;
}
