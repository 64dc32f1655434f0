// The README's first ten minutes, followed literally in Chromium: `scripts/run` (its serve step:
// --no-build, this build's binary) on an empty database, the sign-in read from the server's own
// output, the real sign-in form, "Set your password", an API key made on the Settings page, the
// README's curl (read from README.md) sent with plain HTTP, the Bounce on the Events page and the
// address on the Suppression page. Then a second `scripts/run` on the same database: no password
// printed, and the reset command it prints gives a one-time password that signs in.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bin, browser, newPage, realErrors, repo } from './harness.mjs';

const execFileP = promisify(execFile);
const BOUNCE = 'bounce@simulator.amazonses.com';
/// The simulator answers within seconds; this bounds a broken pipeline, not the speed.
const EVENTS_TIMEOUT = 30_000;

/// `scripts/run --no-build` with a fresh or given database on a free port; resolves once its
/// summary is printed, with everything it printed so far.
function scriptsRun(db) {
  const env = { ...process.env, SESAMI_BIN: bin, SESAMI_DB: db, PORT: '0', DEMO_EVENTS: '2000' };
  delete env.SESAMI_OWNER_EMAIL; // the default, as a newcomer has it
  return new Promise((resolveRun, reject) => {
    const child = spawn(join(repo, 'scripts', 'run'), ['--no-build'], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`scripts/run printed no summary:\n${out}`));
    }, 120_000);
    const seen = (d) => {
      out += d;
      if ((out.match(/^={20,}$/gm) ?? []).length >= 2) {
        // the summary's closing rule
        clearTimeout(timer);
        resolveRun({
          output: () => out,
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null) return r(child.exitCode);
              child.once('exit', (code) => r(code));
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`scripts/run exited (${code}):\n${out}`));
    });
  });
}

const line = (text, prefix) => {
  const m = text.match(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(.*)$`, 'm'));
  return m ? m[1].trim() : undefined;
};

/// The README's curl: the JSON body after -d and the path it posts to.
function readmeCurl() {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const m = readme.match(
    /curl -H 'Authorization: Bearer <API key>'[\s\S]*?-d '([^']+)'[\s\S]*?http:\/\/127\.0\.0\.1:8080(\/\S+)/,
  );
  assert.ok(m, 'the README shows a curl with a Bearer API key');
  return { body: m[1], path: m[2] };
}

describe('README: first run, followed literally', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sesami-readme-e2e-'));
  const db = join(dir, 'sesami.db');
  let chrome;
  after(async () => {
    await chrome?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scripts/run → sign in → set a password → API key on Settings → curl a bounce → Events and Suppression', async () => {
    const run = await scriptsRun(db);
    try {
      const out = run.output();
      // What the server itself printed (the summary repeats it).
      const email = line(out, 'sesami: sign in with email: ');
      const password = line(out, 'sesami: one-time password: ');
      const url = line(out, ' SESami is running: ')?.split(/\s/)[0];
      assert.ok(email && password && url, `scripts/run printed the URL and the sign-in:\n${out}`);
      assert.equal(line(out, ' Sign in:  email     '), email);
      assert.match(out, /Settings > API keys > Create key/);

      chrome = await browser();
      const page = await newPage(chrome, url);
      await page.goto('/');
      // The real form: its email field takes what the server printed (Chromium's own validation).
      const emailField = page.getByLabel('Email');
      assert.equal(await emailField.getAttribute('type'), 'email');
      await emailField.fill('admin'); // what the first start used to print: the form refuses it
      assert.equal(await emailField.evaluate((i) => i.checkValidity()), false);
      await emailField.fill(email);
      await page.getByLabel('Password').fill(password);
      assert.equal(
        await page.locator('form').evaluate((f) => f.checkValidity()),
        true,
        `the form accepts ${email}`,
      );
      await page.getByRole('button', { name: 'Sign in' }).click();

      // Set your password, before anything else.
      await page.getByRole('heading', { name: 'Set your password' }).waitFor();
      assert.equal(await page.locator('#main').count(), 0, 'no dashboard before a password is set');
      const mine = 'my own passphrase 2026';
      await page.getByLabel('New password', { exact: true }).fill(mine);
      await page.getByLabel('Repeat the new password').fill(mine);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.locator('#main').waitFor();
      await page.getByRole('link', { name: 'Settings' }).click();

      // An API key, made on the Settings page and shown once.
      const keys = page.locator('section[aria-labelledby="keys-title"]');
      await keys.getByLabel('Name').fill('curl');
      await keys.getByLabel('Role').selectOption('admin');
      await keys.getByRole('button', { name: 'Create key' }).click();
      const key = (await keys.getByTestId('secret').textContent()).trim();
      assert.match(key, /^sk_/);

      // The README's curl, as plain HTTP (no cookie, no browser).
      const curl = readmeCurl();
      const res = await fetch(url + curl.path, {
        method: 'POST',
        body: curl.body,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      });
      const sent = await res.json();
      assert.equal(res.status, 200, JSON.stringify(sent));
      assert.deepEqual(sent.sent, [BOUNCE]);

      // The Bounce on the Events page (it arrives within seconds; the page is reloaded until then).
      await page.goto('/#/events');
      await page.getByLabel('Recipient').fill(BOUNCE);
      await page.getByLabel('Recipient').press('Enter');
      await page.waitForFunction(() => /recipient=/.test(location.hash));
      // The type badge reads exactly "Bounce" (hasText alone would match the address "bounce@…"
      // on the Send row, and the test would move on before the Bounce arrived).
      const bounceRow = page
        .locator('.vbody .vrow')
        .filter({ hasText: BOUNCE })
        .filter({ has: page.getByText('Bounce', { exact: true }) });
      const deadline = Date.now() + EVENTS_TIMEOUT;
      while (!(await bounceRow.count())) {
        assert.ok(Date.now() < deadline, 'the Bounce shows on the Events page');
        await page.waitForTimeout(500);
        await page.reload();
        await page.locator('[data-testid="perf"]').waitFor();
      }
      // The address on the Suppression page.
      await page.getByRole('link', { name: 'Suppression list' }).click();
      await page.locator(`tr[data-address="${BOUNCE}"]`).waitFor();
      assert.deepEqual(realErrors(page), []);
      await page.context().close();
    } finally {
      assert.equal(await run.stop(), 0, 'scripts/run stops cleanly on SIGTERM');
    }
  });

  it('a second scripts/run prints no password, and its reset command gives one that works', async () => {
    const run = await scriptsRun(db);
    let reset;
    let url;
    try {
      const out = run.output();
      assert.equal(
        line(out, 'sesami: one-time password: '),
        undefined,
        'the owner exists: no new password',
      );
      url = line(out, ' SESami is running: ')?.split(/\s/)[0];
      const cmd = line(out, '           forgot it: ');
      assert.ok(cmd, `the second run says how to reset:\n${out}`);
      const [exe, ...args] = cmd.split(/\s+/);
      assert.equal(exe, bin);
      assert.deepEqual(args.slice(0, 2), ['user', 'reset-password']);
      reset = (await execFileP(exe, args)).stdout;
      const email = line(reset, 'sign in with email: ');
      const password = line(reset, 'one-time password: ');
      const page = await newPage(chrome, url);
      await page.goto('/');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Set your password' }).waitFor();
      await page.getByLabel('New password', { exact: true }).fill('another passphrase 2026');
      await page.getByLabel('Repeat the new password').fill('another passphrase 2026');
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.locator('#main').waitFor();
      assert.deepEqual(realErrors(page), []);
      await page.context().close();
    } finally {
      assert.equal(await run.stop(), 0);
    }
  });
});
