// Settings → Workspace → Retention in Chromium against a real `sesami serve` over 90 days of demo
// data: an admin sets 30 days, the server purges older raw events in the background within a
// minute, and a viewer sees the setting without a way to change it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realErrors, signIn, startDashboard, VIEWER } from './harness.mjs';

const env = startDashboard({ events: 3000 });
const DAY = 86_400_000;

describe('settings: retention', () => {
  it('an admin keeps 30 days; older raw events go within a minute', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/settings');
    const control = page.getByTestId('retention');
    await control.waitFor();
    assert.equal((await control.getByTestId('retention-current').textContent()).trim(), 'forever');
    const olderThan30 = `/events?limit=1&to=${new Date(Date.now() - 30 * DAY).toISOString()}`;
    assert.equal((await (await page.request.get(olderThan30)).json()).events.length, 1);

    // A number out of range is refused before anything is sent.
    await control.getByLabel('Delete raw events older than').check();
    await control.getByLabel('Days').fill('0');
    await control.getByRole('button', { name: 'Save retention' }).click();
    await control.getByRole('alert').getByText('whole number of days from 1 to 3650').waitFor();
    assert.equal((await (await page.request.get('/workspace')).json()).retentionDays, null);

    await control.getByLabel('Days').fill('30');
    await control.getByRole('button', { name: 'Save retention' }).click();
    await control.getByRole('status').getByText('older than 30 days are being deleted').waitFor();
    assert.equal(
      (await control.getByTestId('retention-current').textContent()).trim(),
      '30 days of raw events',
    );
    assert.equal((await (await page.request.get('/workspace')).json()).retentionDays, 30);

    let left = 1;
    for (let i = 0; i < 120 && left; i++) {
      left = (await (await page.request.get(olderThan30)).json()).events.length;
      if (left) await page.waitForTimeout(500);
    }
    assert.equal(left, 0, 'events older than 30 days still listed after a minute');
    const recent = `/events?limit=1&from=${new Date(Date.now() - 29 * DAY).toISOString()}`;
    assert.equal((await (await page.request.get(recent)).json()).events.length, 1);

    // Reloaded, the page shows the saved setting.
    await page.reload();
    await page.getByTestId('retention-current').getByText('30 days of raw events').waitFor();
    assert.equal(await page.getByLabel('Days').inputValue(), '30');
    assert.deepEqual(realErrors(page), []);
  });

  it('a viewer sees the retention but cannot change it', async () => {
    const page = await env.page();
    await signIn(page, VIEWER);
    await page.goto('/#/settings');
    const shown = page.getByTestId('retention');
    await shown.getByText('30 days of raw events').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save retention' }).count(), 0);
    assert.deepEqual(realErrors(page), []);
  });
});
