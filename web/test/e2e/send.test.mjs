// Sending, the AWS connection and the suppression list sync, in Chromium against a real
// `sesami serve` (no AWS connection: POST /mail goes to the built-in simulator, whose SES-shaped
// events come back through the normal ingestion path).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VIEWER, realErrors, screenshots, shot, signIn, startDashboard } from './harness.mjs';

// AWS at a closed local port, and made-up credentials of the server's own: a saved connection's
// check fails as it would when AWS cannot be reached, without leaving the machine.
const env = startDashboard({
  events: 500,
  serveOpts: {
    args: ['--aws-sts-endpoint', 'http://127.0.0.1:9', '--aws-ses-endpoint', 'http://127.0.0.1:9'],
    env: {
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
  },
});

const csrf = async (page) => (await (await page.request.get('/auth/session')).json()).csrfToken;
const BOUNCE = 'bounce@simulator.amazonses.com';
/// The simulator answers within seconds; this bounds a broken pipeline, not the speed.
const EVENTS_TIMEOUT = 30_000;

describe('send', () => {
  it('sending to bounce@simulator.amazonses.com shows Send and a hard Bounce live, a new suppression entry, and one attempt for a double click', async () => {
    const page = await env.page();
    await signIn(page);
    const correlationId = `e2e-${Date.now()}`;
    await page.goto('/#/send');
    await page.getByTestId('transport').and(page.locator('[data-transport="simulator"]')).waitFor();
    assert.equal(
      (await (await page.request.get(`/suppression-list?contains=${BOUNCE}`)).json()).entries
        .length,
      0,
    );

    // The form names a wrong field before anything is sent.
    await page.getByLabel('From').fill('not an address');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('#compose-from[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#compose-from-note').textContent(), /Not an email address/);

    await page.getByLabel('From').fill('sender@example.com');
    await page.getByRole('button', { name: 'bounce@' }).click();
    assert.equal(await page.getByLabel('To', { exact: true }).inputValue(), BOUNCE);
    await page.getByLabel('Subject').fill('E2E bounce');
    await page.getByLabel('Tags').fill('campaign=e2e');
    await page.getByLabel('Correlation id').fill(correlationId);

    const posts = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/mail') posts.push(r);
    });
    const answer = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/mail',
    );
    await page.getByRole('button', { name: 'Send', exact: true }).dblclick();
    const res = await answer;
    assert.equal(res.status(), 200, await res.text());
    const sent = await res.json();
    assert.equal(sent.transport, 'simulator');
    assert.deepEqual(sent.sent, [BOUNCE]);
    assert.equal(sent.correlationId, correlationId);
    const body = posts[0].postDataJSON();
    assert.deepEqual(body.tags, { campaign: 'e2e' });
    assert.match(posts[0].headers()['idempotency-key'], /^[0-9a-f]{32}$/);

    // The message's events arrive live: Send, then a hard Bounce, on a visible timeline.
    await page.getByTestId('sent-message-id').filter({ hasText: sent.messageId }).waitFor();
    const watch = page.getByTestId('watch');
    await watch
      .locator('.timeline .tl-item[data-type="send"]')
      .waitFor({ timeout: EVENTS_TIMEOUT });
    await watch
      .locator('.timeline .tl-item[data-type="bounce"]')
      .waitFor({ timeout: EVENTS_TIMEOUT });
    assert.equal((await watch.getByTestId('bounce-class').first().textContent()).trim(), 'hard');
    await watch.locator(`li[data-recipient="${BOUNCE}"][data-outcome="bounce"]`).waitFor();
    await page.locator('[data-testid="watch"][data-phase="done"]').waitFor();
    await shot(page, 'send');

    // The double click sent one mail: one request, one attempt.
    assert.equal(posts.length, 1, 'a double click sends one request');
    const attempts = (
      await (await page.request.get('/mail/attempts?limit=100')).json()
    ).attempts.filter((a) => a.correlationId === correlationId);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0].status, 'sent');
    assert.equal(attempts[0].messageId, sent.messageId);
    await page
      .locator(`.attempt[data-message-id="${sent.messageId}"][data-status="sent"]`)
      .waitFor();

    // What the page showed is what the API stored.
    const events = (
      await (
        await page.request.get(`/events?messageId=${encodeURIComponent(sent.messageId)}`)
      ).json()
    ).events;
    assert.deepEqual(events.map((e) => e.type).sort(), ['bounce', 'send']);
    assert.equal(await watch.locator('.timeline .tl-item').count(), events.length);
    const listed = (await (await page.request.get(`/suppression-list?contains=${BOUNCE}`)).json())
      .entries;
    assert.equal(listed.length, 1, 'the hard bounce suppressed the address');
    assert.equal(listed[0].source, 'event');
    await page.goto('/#/suppression');
    await page.locator(`tr[data-address="${BOUNCE}"]`).waitFor();

    // Sending there again: nothing is sent, the page says why and who.
    await page.goto('/#/send');
    assert.equal(
      await page.getByLabel('From').inputValue(),
      'sender@example.com',
      'the sender is remembered',
    );
    await page.getByRole('button', { name: 'bounce@' }).click();
    await page.getByLabel('Correlation id').fill(`${correlationId}-again`);
    const again = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/mail',
    );
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const refused = await again;
    assert.equal(refused.status(), 422);
    const err = page.getByTestId('send-error');
    await err.and(page.locator('[data-code="mail.all_suppressed"]')).waitFor();
    assert.ok((await err.textContent()).includes(BOUNCE));
    await page.locator('.attempt[data-status="suppressed"]').first().waitFor();
    await shot(page, 'send-suppressed');
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });

  it('a viewer sees no send form, and the API refuses a send', async () => {
    const page = await env.page();
    await signIn(page, VIEWER);
    await page.goto('/#/send');
    await page.getByTestId('send-forbidden').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Send', exact: true }).count(), 0);
    await page.getByRole('heading', { name: 'Recent attempts' }).waitFor();
    const r = await page.request.post('/mail', {
      headers: { 'X-CSRF-Token': await csrf(page) },
      data: {
        from: 'sender@example.com',
        to: ['success@simulator.amazonses.com'],
        subject: 'no',
        text: 'no',
      },
    });
    assert.equal(r.status(), 403);
    assert.equal((await r.json()).error.code, 'auth.forbidden');
    await page.context().close();
  });
});

describe('settings: AWS connection', () => {
  it('shows the External ID, refuses a bad role ARN, saves, shows a failed check with its remedy, and disconnects', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/settings');
    const section = page.getByTestId('aws-connection');
    await section.getByTestId('aws-simulator-note').waitFor();
    const api = await (await page.request.get('/settings/aws')).json();
    assert.equal(api.connected, false);
    assert.ok(api.externalId.length >= 26, api.externalId);
    assert.equal(await section.getByTestId('external-id').inputValue(), api.externalId);
    assert.ok((await section.textContent()).includes('sts:ExternalId'));

    // Not connected: the check says so, and what to do.
    await section.getByTestId('verify-sts').click();
    const verdict = section.getByTestId('verify-result').locator('[data-code="aws.not_connected"]');
    await verdict.waitFor();
    assert.match(await verdict.textContent(), /simulator/);

    await section.getByLabel('Role ARN').fill('SESami');
    await section.getByLabel('Region').fill('eu-west-1');
    await section.getByRole('button', { name: 'Save' }).click();
    await section.locator('#aws-roleArn[aria-invalid="true"]').waitFor();
    assert.equal(
      (await (await page.request.get('/settings/aws')).json()).connected,
      false,
      'nothing saved',
    );

    const roleArn = 'arn:aws:iam::123456789012:role/SESamiE2E';
    await section.getByLabel('Role ARN').fill(roleArn);
    await section.getByLabel('Configuration set').fill('sesami-e2e');
    const saved = page.waitForResponse(
      (r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/settings/aws',
    );
    await section.getByRole('button', { name: 'Save' }).click();
    assert.equal((await saved).status(), 200);
    await section.getByText('Saved.').waitFor();
    await section.getByTestId('aws-status').filter({ hasText: 'Connected' }).waitFor();
    const after = await (await page.request.get('/settings/aws')).json();
    assert.equal(after.roleArn, roleArn);
    assert.equal(after.region, 'eu-west-1');
    assert.equal(after.configurationSet, 'sesami-e2e');
    assert.equal(after.externalId, api.externalId, 'the External ID does not change');

    // Verify now calls STS, which cannot be reached here: the page shows the server's error and
    // what to do about it.
    await section.getByTestId('verify-sts').click();
    const failed = section.getByTestId('verify-result').locator('[data-code="aws.unreachable"]');
    await failed.waitFor({ timeout: 60_000 });
    assert.match(await failed.textContent(), /could not reach AWS/);
    mkdirSync(screenshots, { recursive: true });
    await section.screenshot({ path: join(screenshots, 'settings-aws.png') });

    // Disconnect: back to the simulator.
    page.once('dialog', (d) => d.accept());
    await section.getByRole('button', { name: 'Disconnect' }).click();
    await section.getByTestId('aws-simulator-note').waitFor();
    assert.equal((await (await page.request.get('/settings/aws')).json()).connected, false);
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });

  it('shows a viewer the connection without the buttons that change it', async () => {
    const page = await env.page();
    await signIn(page, VIEWER);
    await page.goto('/#/settings');
    await page.getByTestId('external-id').waitFor();
    for (const name of ['Save', 'Disconnect', 'Verify connection'])
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    const r = await page.request.put('/settings/aws', {
      headers: { 'X-CSRF-Token': await csrf(page) },
      data: { roleArn: 'arn:aws:iam::123456789012:role/X', region: 'eu-west-1' },
    });
    assert.equal(r.status(), 403);
    await page.context().close();
  });
});

describe('suppression list: sync with SES', () => {
  it('without an AWS connection, Sync now says so and where to connect', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/suppression');
    const panel = page.getByTestId('sync');
    assert.deepEqual(await (await page.request.get('/suppression-list/sync')).json(), { at: null });
    await panel.getByText('Never synced with SES.').waitFor();
    const answer = page.waitForResponse(
      (r) =>
        r.request().method() === 'POST' && new URL(r.url()).pathname === '/suppression-list/sync',
    );
    await panel.getByRole('button', { name: 'Sync now' }).click();
    const res = await answer;
    const body = await res.json();
    assert.equal(body.error.code, 'aws.not_connected', JSON.stringify(body));
    await panel.locator('[role="alert"][data-code="aws.not_connected"]').waitFor();
    await panel.getByRole('link', { name: 'connect a role in Settings' }).waitFor();
    await page.context().close();
  });

  it('with a connection AWS cannot confirm, Sync now records the run and shows its problem', async () => {
    const page = await env.page();
    await signIn(page);
    const headers = { 'X-CSRF-Token': await csrf(page) };
    const put = await page.request.put('/settings/aws', {
      headers,
      data: { roleArn: 'arn:aws:iam::123456789012:role/SESamiSync', region: 'eu-west-1' },
    });
    assert.equal(put.status(), 200, await put.text());
    try {
      await page.goto('/#/suppression');
      const panel = page.getByTestId('sync');
      const answer = page.waitForResponse(
        (r) =>
          r.request().method() === 'POST' && new URL(r.url()).pathname === '/suppression-list/sync',
      );
      await panel.getByRole('button', { name: 'Sync now' }).click();
      const res = await answer;
      assert.equal(res.status(), 200, await res.text());
      const run = await res.json();
      assert.ok(run.errors.length >= 1, JSON.stringify(run));
      await panel.getByText('Synced just now').waitFor();
      assert.equal(await panel.getByTestId('sync-summary').textContent(), 'Nothing changed.');
      const problems = await panel.getByTestId('sync-errors').locator('li').allTextContents();
      assert.equal(problems.length, run.errors.length);
      assert.ok(problems[0].includes(run.errors[0].message), problems[0]);
      // The run is the workspace's last sync, as the page shows after a reload.
      const last = await (await page.request.get('/suppression-list/sync')).json();
      assert.equal(last.at, run.at);
      await page.reload();
      await page
        .getByTestId('last-sync')
        .and(page.locator(`[data-at="${run.at}"]`))
        .waitFor();
      await shot(page, 'suppression-sync');
    } finally {
      await page.request.delete('/settings/aws', { headers });
      await page.context().close();
    }
  });
});
