// Settings → Webhooks in Chromium against a real `sesami serve` and a real receiver on loopback:
// add an endpoint (its secret shown once), send a test, watch the delivery fail once and then be
// delivered, change the event types, disable, rotate the secret, delete.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { realErrors, signIn, startDashboard } from './harness.mjs';

const env = startDashboard({
  events: 100,
  serveOpts: { args: ['--allow-private-webhooks', '--test-webhook-backoff-scale', '0.01'] },
});

let rx;
const received = [];
before(async () => {
  rx = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      // The first message fails: the dashboard shows the attempt and its retry.
      if (received.length === 1) res.writeHead(503).end('warming up');
      else res.writeHead(204).end();
    });
  });
  await new Promise((r) => rx.listen(0, '127.0.0.1', r));
});
after(async () => {
  rx.closeAllConnections();
  await new Promise((r) => rx.close(r));
});

describe('settings: webhooks', () => {
  it('adds an endpoint, tests it, shows its deliveries, edits, rotates and deletes it', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/settings');
    const section = page.getByTestId('webhooks');
    await section.waitFor();
    await section.getByText('No endpoints yet.').waitFor();

    const url = `http://127.0.0.1:${rx.address().port}/ses`;
    await section.getByLabel('URL').fill(url);
    await section.getByLabel('Description').fill('orders service');
    await section.locator('input[name="new-bounce"]').check();
    await section.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await section.getByTestId('webhook-secret').textContent()).trim();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    const hook = section.getByTestId('webhook');
    await hook.getByText(url).waitFor();
    assert.equal(await hook.locator('input[name$="-bounce"]').isChecked(), true);

    await hook.getByRole('button', { name: 'Send test' }).click();
    await hook.getByText('Test message queued.').waitFor();
    await hook.getByRole('button', { name: 'Deliveries' }).click();
    const deliveries = hook.getByTestId('webhook-deliveries');
    for (
      let i = 0;
      i < 100 && !(await deliveries.getByText('delivered', { exact: true }).count());
      i++
    ) {
      await deliveries.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(100);
    }
    await deliveries.getByText('delivered', { exact: true }).waitFor();
    assert.equal(received.length, 2);
    assert.equal(received[0].headers['webhook-id'], received[1].headers['webhook-id']);
    assert.match(received[1].headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
    assert.equal(JSON.parse(received[1].body).type, 'sesami.test');
    await deliveries.getByText('Attempts').click();
    await deliveries.getByText('warming up').waitFor();

    await hook.locator('input[name$="-complaint"]').check();
    await hook.getByRole('button', { name: 'Save types' }).click();
    await hook.getByText('Event types saved.').waitFor();
    const listed = await (await page.request.get('/webhooks')).json();
    assert.deepEqual(listed.webhooks[0].eventTypes, ['bounce', 'complaint']);

    await hook.getByRole('button', { name: 'Disable' }).click();
    await hook.getByText('disabled', { exact: true }).waitFor();
    assert.equal(await hook.getByRole('button', { name: 'Send test' }).isDisabled(), true);
    await hook.getByRole('button', { name: 'Enable' }).click();
    await hook.getByText('enabled', { exact: true }).waitFor();

    await hook.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await hook.getByTestId('webhook-secret').textContent()).trim();
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, secret);

    await hook.getByRole('button', { name: `Delete webhook ${url}` }).click();
    await section.getByText('No endpoints yet.').waitFor();
    assert.deepEqual(realErrors(page), []);
  });
});
