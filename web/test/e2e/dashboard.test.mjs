// The dashboard in real Chromium against a real `sesami serve` with `sesami demo` data.
// Run: npm run build && SESAMI_BIN=... npm run test:e2e   (screenshots land in docs/screenshots/)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  OWNER,
  SECOND,
  VIEWER,
  bin,
  realErrors,
  repo,
  shot,
  signIn,
  startDashboard,
} from './harness.mjs';

const run = promisify(execFile);
const env = startDashboard({ events: 20000 });

/// Every event matching a query, through the JSON API (followed cursors), as a second opinion.
async function apiCount(page, query) {
  let n = 0,
    cursor = null;
  do {
    const q = new URLSearchParams(query);
    q.set('limit', '1000');
    if (cursor) q.set('cursor', cursor);
    const r = await page.request.get(`/events?${q}`);
    assert.equal(r.status(), 200, await r.text());
    const j = await r.json();
    n += j.events.length;
    cursor = j.next;
  } while (cursor);
  return n;
}

async function perf(page) {
  const p = page.getByTestId('perf');
  await p.waitFor();
  return {
    count: Number(await p.getAttribute('data-count')),
    from: await p.getAttribute('data-from'),
    to: await p.getAttribute('data-to'),
  };
}

describe('sign in', () => {
  it('refuses a wrong password, then signs in and shows the overview', async () => {
    const page = await env.page();
    await page.goto('/#/');
    await page.getByRole('heading', { name: 'SESami' }).waitFor();
    await shot(page, 'sign-in');
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /Wrong email or password|throttled/ })
      .waitFor();
    await signIn(page);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.equal(await page.getByTestId('role').textContent(), 'owner');
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });
});

describe('workspaces', () => {
  it("switches workspace: another role, none of the first workspace's data", async () => {
    const page = await env.page();
    await signIn(page);
    const select = page.getByTestId('workspace-switch');
    assert.deepEqual((await select.locator('option').allTextContents()).sort(), [
      'default (owner)',
      `${SECOND} (viewer)`,
    ]);
    await select.selectOption(SECOND);
    await page.getByTestId('role').filter({ hasText: 'viewer' }).waitFor();
    await page.getByText('No events in this range yet').waitFor();
    await page.goto('/#/suppression');
    await page.getByRole('heading', { name: 'Suppression list' }).waitFor();
    await page.locator('.state, table').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add', exact: true }).count(), 0);
    await page.reload(); // the choice survives a reload
    await page.getByTestId('role').filter({ hasText: 'viewer' }).waitFor();
    await page.getByTestId('workspace-switch').selectOption('default');
    await page.getByTestId('role').filter({ hasText: 'owner' }).waitFor();
    await page.context().close();
  });
});

describe('overview', () => {
  it('shows the totals /stats returns and charts that add up to them', async () => {
    const page = await env.page();
    await signIn(page);
    const statsResponse = page.waitForResponse((r) => r.url().includes('/stats?'));
    await page.goto('/#/?range=90d');
    const url = (await statsResponse).url();
    await page.locator('#overview-chart canvas').waitFor();
    // An independent request with the same query: the page must show exactly this.
    const stats = await (await page.request.get(url)).json();
    assert.ok(stats.totals.send > 0, 'the demo data has sends in the last 90 days');
    for (const key of ['send', 'delivery', 'bounce', 'complaint', 'open', 'click']) {
      const shown = Number(
        await page.locator(`[data-total="${key}"] .stat-value`).getAttribute('data-value'),
      );
      assert.equal(shown, stats.totals[key], `${key} card`);
    }
    // The chart's data (its screen-reader table) sums to the totals of the series it draws.
    const sums = await page.locator('#overview-chart table[data-chart-table]').evaluate((t) => {
      const heads = [...t.querySelectorAll('thead th')].map((h) => h.textContent);
      const out = {};
      heads.slice(1).forEach((h, i) => {
        out[h] = [...t.querySelectorAll('tbody tr')].reduce(
          (a, r) => a + Number(r.children[i + 1].textContent),
          0,
        );
      });
      return out;
    });
    assert.equal(
      sums.Sent,
      stats.series.types.send.reduce((a, b) => a + b, 0),
    );
    assert.equal(
      sums.Bounce,
      stats.series.types.bounce.reduce((a, b) => a + b, 0),
    );
    assert.ok(await page.locator('#bounce-rate-chart canvas').isVisible());
    await shot(page, 'overview');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(100);
    await shot(page, 'overview-dark');
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });

  it('fits a phone screen', async () => {
    const page = await env.page({ viewport: { width: 390, height: 844 } });
    await signIn(page);
    await page.locator('#overview-chart canvas').waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `page wider than the phone by ${overflow}px`);
    await page.getByRole('button', { name: 'Menu' }).click();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Events' })
      .waitFor();
    await shot(page, 'overview-phone');
    await page.context().close();
  });
});

describe('events', () => {
  it('re-filters locally, consistently with the API, and keeps the filter in the URL', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/events?range=30d');
    const all = await perf(page);
    assert.ok(all.count > 0);
    assert.equal(all.count, await apiCount(page, { from: all.from, to: all.to }));
    await shot(page, 'events');

    // Type = bounce through the multi-select.
    await page.locator('details[data-filter="type"] summary').click();
    await page.locator('input[name="type"][value="bounce"]').check();
    await page.waitForFunction(() => /type=bounce/.test(location.hash));
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector('[data-testid="perf"]')?.getAttribute('data-count')) !== n,
      all.count,
    );
    const bounces = await perf(page);
    assert.equal(
      bounces.count,
      await apiCount(page, { from: bounces.from, to: bounces.to, type: 'bounce' }),
    );
    const types = await page.locator('.vbody .vrow [role="cell"]:nth-child(2)').allTextContents();
    assert.ok(
      types.length > 0 && types.every((t) => t === 'Bounce'),
      `table shows only bounces: ${types.slice(0, 5)}`,
    );
    const bounceCard = Number(
      await page.locator('[data-total="bounce"] .stat-value').getAttribute('data-value'),
    );
    assert.equal(bounceCard, bounces.count);
    assert.equal(
      Number(await page.locator('[data-total="send"] .stat-value').getAttribute('data-value')),
      0,
    );

    // A recipient domain on top: the same answer as the API's recipient grammar.
    const firstRecipient = (
      await page.locator('.vbody .vrow [role="cell"]:nth-child(3)').first().textContent()
    ).trim();
    const domain = '@' + firstRecipient.split('@')[1];
    await page.getByLabel('Recipient').fill(domain);
    await page.getByLabel('Recipient').press('Enter');
    await page.waitForFunction(() => /recipient=/.test(location.hash));
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector('[data-testid="perf"]')?.getAttribute('data-count')) !== n,
      bounces.count,
    );
    const both = await perf(page);
    assert.equal(
      both.count,
      await apiCount(page, { from: both.from, to: both.to, type: 'bounce', recipient: domain }),
    );

    // The URL is the view: reloading shows the same selection.
    const hash = await page.evaluate(() => location.hash);
    await page.reload();
    const again = await perf(page);
    assert.equal(await page.evaluate(() => location.hash), hash);
    assert.equal(
      again.count,
      await apiCount(page, { from: again.from, to: again.to, type: 'bounce', recipient: domain }),
    );

    // CSV export: exactly the rows shown.
    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    const file = await (await download).path();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    assert.equal(lines[0], 'timestamp,type,recipient,messageId,subject,sender,detail,machine');
    assert.equal(lines.length - 1, again.count);
    assert.ok(lines.slice(1).every((l) => l.split(',')[1] === 'bounce'));
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });
});

describe('keyboard', () => {
  it('filters with the keyboard and walks the table rows with arrow keys', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/events?range=30d');
    const before = await perf(page);
    // Type filter: focus its summary, open it, tab to a checkbox, tick it with Space.
    await page.locator('details[data-filter="type"] summary').focus();
    await page.keyboard.press('Enter');
    await page.locator('input[name="type"][value="send"]').focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => /type=send/.test(location.hash));
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('details[data-filter="type"]').evaluate((d) => d.open), false);
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector('[data-testid="perf"]')?.getAttribute('data-count')) !== n,
      before.count,
    );
    // Rows: the first is in the tab order; arrows move, Enter opens the recipient.
    const first = page.locator('.vbody .vrow[data-index="0"]');
    await first.focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('data-index')),
      '1',
    );
    const recipient = (
      await page.locator('.vbody .vrow[data-index="1"] [role="cell"]:nth-child(3)').textContent()
    ).trim();
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (r) =>
        location.hash.startsWith('#/recipients/') && decodeURIComponent(location.hash).includes(r),
      recipient,
    );
    await page.context().close();
  });
});

describe('recipient and message pages', () => {
  it('shows the full timeline the API has for a recipient', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/events?range=90d&type=bounce');
    await perf(page);
    const link = page.locator('.vbody .vrow [role="cell"]:nth-child(3) a').first();
    const address = (await link.textContent()).trim();
    await link.click();
    await page
      .getByRole('heading', { name: new RegExp(address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) })
      .waitFor();
    const api = await (await page.request.get(`/recipients/${encodeURIComponent(address)}`)).json();
    await page.locator('.timeline .tl-item').first().waitFor();
    assert.equal(await page.locator('.timeline .tl-item').count(), api.events.length);
    assert.equal(
      await page.locator('.timeline .tl-item[data-type="bounce"]').count(),
      api.events.filter((e) => e.type === 'bounce').length,
    );
    const cls = await page.getByTestId('bounce-class').first().textContent();
    assert.ok(['hard', 'soft', 'suppressed', 'undetermined'].includes(cls.trim()), cls);
    await shot(page, 'recipient');
    // One-click unsuppress and suppress, as the API sees it.
    const listed = async () =>
      (
        await (
          await page.request.get(`/suppression-list?contains=${encodeURIComponent(address)}`)
        ).json()
      ).entries.some((e) => e.address === address);
    const wasSuppressed = await listed();
    await page.getByTestId('suppress-toggle').click();
    await page
      .getByTestId('suppress-toggle')
      .filter({ hasText: wasSuppressed ? /^Suppress$/ : /^Unsuppress$/ })
      .waitFor();
    assert.equal(await listed(), !wasSuppressed);
    await page.getByTestId('suppress-toggle').click();
    await page
      .getByTestId('suppress-toggle')
      .filter({ hasText: wasSuppressed ? /^Unsuppress$/ : /^Suppress$/ })
      .waitFor();
    assert.equal(await listed(), wasSuppressed);
    await page.locator('.timeline a.mono').first().click();
    await page.getByRole('heading', { name: /Message/ }).waitFor();
    await page.locator('.timeline .tl-item').first().waitFor();
    await shot(page, 'message');
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });
});

describe('suppression list', () => {
  it('adds and removes an address, as the API confirms', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/suppression');
    const address = 'e2e-round-trip@example.com';
    await page.getByLabel('Address', { exact: true }).fill(address);
    await page.getByLabel('Reason', { exact: true }).fill('e2e test');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.locator(`tr[data-address="${address}"]`).waitFor();
    let api = await (await page.request.get(`/suppression-list?contains=e2e-round-trip`)).json();
    assert.equal(api.entries.length, 1);
    assert.equal(api.entries[0].reason, 'e2e test');
    assert.equal(api.entries[0].source, 'manual');
    await shot(page, 'suppression');
    await page.getByRole('button', { name: `Remove ${address}` }).click();
    await page.locator(`tr[data-address="${address}"]`).waitFor({ state: 'detached' });
    api = await (await page.request.get(`/suppression-list?contains=e2e-round-trip`)).json();
    assert.equal(api.entries.length, 0);
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });

  it('imports a CSV file and exports the list as CSV', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/suppression');
    const csv =
      'address,reason\r\ncsv-one@example.com,imported\r\n"csv-two@example.com","said ""stop"""\r\nnot-an-address,x\r\n';
    await page
      .getByTestId('import-csv')
      .setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page
      .getByRole('status')
      .filter({ hasText: /added 2/ })
      .waitFor();
    const api = await (await page.request.get('/suppression-list?contains=csv-')).json();
    assert.deepEqual(api.entries.map((e) => [e.address, e.reason, e.source]).sort(), [
      ['csv-one@example.com', 'imported', 'import'],
      ['csv-two@example.com', 'said "stop"', 'import'],
    ]);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const text = readFileSync(await (await download).path(), 'utf8');
    assert.ok(text.startsWith('address,reason,source,event_id,created_at'), text.slice(0, 80));
    assert.ok(text.includes('csv-one@example.com'));
    const session = await (await page.request.get('/auth/session')).json();
    for (const a of ['csv-one@example.com', 'csv-two@example.com'])
      await page.request.delete(`/suppression-list/${a}`, {
        headers: { 'X-CSRF-Token': session.csrfToken },
      });
    await page.context().close();
  });

  it('shows a viewer no destructive buttons, and the API refuses them anyway', async () => {
    const page = await env.page();
    await signIn(page, VIEWER);
    await page.goto('/#/suppression');
    await page.getByRole('heading', { name: 'Suppression list' }).waitFor();
    await page.locator('.state, table').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add', exact: true }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Remove / }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Sync now' }).count(), 0);
    const session = await (await page.request.get('/auth/session')).json();
    const r = await page.request.post('/suppression-list', {
      data: { address: 'x@example.com' },
      headers: { 'X-CSRF-Token': session.csrfToken },
    });
    assert.equal(r.status(), 403);
    assert.equal((await r.json()).error.code, 'auth.forbidden');
    await page.context().close();
  });
});

describe('settings', () => {
  it('shows the workspace, the AWS connection and the API keys', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/settings');
    await page.getByRole('heading', { name: 'Workspace' }).waitFor();
    await page.getByTestId('external-id').waitFor(); // the AWS connection: test/e2e/send.test.mjs
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await shot(page, 'settings');
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });
});

describe('explore a file', () => {
  it('parses a dropped SES export in the browser: the events `sesami parse` finds', async () => {
    const dir = join(repo, 'tests', 'fixtures', 'ses');
    const text = `[${readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join(',')}]`;
    const file = join(env.db.dir, 'export.json');
    writeFileSync(file, text);
    const { stdout } = await run(bin, ['parse', file], { maxBuffer: 1 << 26 });
    const expected = stdout.trimEnd().split('\n').length;

    const page = await env.page();
    await page.goto('/#/explore'); // no sign-in: nothing leaves the browser
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.getByTestId('dropzone').evaluate((zone, content) => {
      const dt = new DataTransfer();
      dt.items.add(new File([content], 'export.json', { type: 'application/json' }));
      zone.dispatchEvent(
        new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }),
      );
    }, text);
    const summary = page.getByTestId('explore-summary');
    await summary.waitFor();
    assert.equal(Number(await summary.getAttribute('data-count')), expected);
    await page.locator('#explore-chart canvas').waitFor();
    assert.equal((await page.locator('.vbody .vrow').count()) > 0, true);
    assert.deepEqual(
      requests.filter((u) => !/\/assets\/|\.wasm/.test(u)),
      [],
      'nothing but the app itself was fetched',
    );
    await shot(page, 'explore');
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });
});
