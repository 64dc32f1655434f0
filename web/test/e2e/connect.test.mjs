// Connecting AWS from Settings, in Chromium against a real `sesami serve`: the CloudFormation
// template with this workspace's values filled in, downloaded and copied as a customer would, and
// Verify's step-by-step checks stopping at the first failure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VIEWER, realErrors, signIn, startDashboard } from './harness.mjs';

const env = startDashboard({ events: 100 });
const csrf = async (page) => (await (await page.request.get('/auth/session')).json()).csrfToken;

describe('settings: connect with CloudFormation', () => {
  it('downloads and copies the API-destination template with the External ID and the ingest token filled in', async () => {
    const page = await env.page();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await signIn(page);
    await page.goto('/#/settings');
    const tpl = page.getByTestId('aws-template');
    await tpl.waitFor();
    const { externalId } = await (await page.request.get('/settings/aws')).json();

    // The owner rotates the ingest token: shown once, with its secret.
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Rotate token' }).click();
    const secrets = page.getByTestId('secret');
    await secrets.nth(1).waitFor();
    const token = (await secrets.nth(0).textContent()).trim();
    const ingestSecret = (await secrets.nth(1).textContent()).trim();
    assert.match(token, /^[A-Za-z0-9_-]{16,}$/);

    // A wildcard identity is named before anything is asked of the server.
    await tpl.getByLabel('How events reach SESami').selectOption('api-destination');
    await tpl.getByLabel('Sending identities').fill('*.example.com');
    await tpl.getByRole('button', { name: 'Get the template' }).click();
    await tpl.locator('#tpl-identities[aria-invalid="true"]').waitFor();

    await tpl.getByLabel('Sending identities').fill('example.com, news@example.org');
    await tpl.getByLabel("SESami's AWS account id").fill('999988887777');
    const ingestUrl = `https://sesami.example.com/ingest/eventbridge/${token}`;
    await tpl.getByLabel('Ingest URL').fill(ingestUrl);
    const answered = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/settings/aws/template',
    );
    await tpl.getByRole('button', { name: 'Get the template' }).click();
    assert.equal((await answered).status(), 200);
    const result = tpl.getByTestId('template-result');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-mode'), 'api-destination');

    // Download: the file a console upload takes, every value of this workspace as a default.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      result.getByTestId('download-template').click(),
    ]);
    assert.equal(download.suggestedFilename(), 'sesami-api-destination.json');
    const text = readFileSync(await download.path(), 'utf8');
    const file = JSON.parse(text);
    const p = file.Parameters;
    assert.equal(p.ExternalId.Default, externalId);
    assert.equal(p.IngestUrl.Default, ingestUrl);
    assert.ok(text.includes(token));
    assert.equal(p.SesamiAccountId.Default, '999988887777');
    assert.equal(p.SendingIdentity1.Default, 'example.com');
    assert.equal(p.SendingIdentity2.Default, 'news@example.org');
    assert.equal(p.IngestSecret.Default, undefined, 'the secret is never written into the file');
    assert.ok(!text.includes(ingestSecret));
    assert.ok(file.Resources && Object.keys(file.Resources).length > 0);

    // Copy: the same text on the clipboard.
    await result.getByTestId('copy-template').click();
    await result.getByText('The template copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);

    // The command line and the console steps.
    const command = await result.getByTestId('template-command').textContent();
    assert.match(command, /^aws cloudformation deploy --stack-name sesami/);
    assert.match(command, /--template-file sesami-api-destination\.json/);
    assert.match(command, /IngestSecret="\$SESAMI_INGEST_SECRET"/);
    assert.ok(!command.includes(ingestSecret));
    assert.match(await result.textContent(), /Upload a template file/);
    assert.equal(
      await result.getByTestId('template-missing').count(),
      0,
      'nothing left to fill in',
    );
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });

  it('Verify stops at the first failing step with what to do', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/settings');
    const section = page.getByTestId('aws-connection');
    const { externalId } = await (await page.request.get('/settings/aws')).json();
    await section.getByTestId('verify-sts').click();
    const steps = section.getByTestId('verify-steps').locator('li');
    await steps.first().waitFor();
    assert.equal(await steps.count(), 1, 'nothing after the first failure');
    assert.equal(await steps.first().getAttribute('data-status'), 'fail');
    assert.equal(await steps.first().getAttribute('data-code'), 'aws.not_connected');
    const detail = await steps.first().textContent();
    assert.match(detail, /AWS connection saved/);
    assert.ok(detail.includes(externalId));
    await page.context().close();
  });

  it('a viewer gets neither the template form nor the template', async () => {
    const page = await env.page();
    await signIn(page, VIEWER);
    await page.goto('/#/settings');
    await page.getByTestId('external-id').waitFor();
    assert.equal(await page.getByTestId('aws-template').count(), 0);
    const r = await page.request.post('/settings/aws/template', {
      headers: { 'X-CSRF-Token': await csrf(page) },
      data: { mode: 'api-destination' },
    });
    assert.equal(r.status(), 403);
    assert.equal((await r.json()).error.code, 'auth.forbidden');
    await page.context().close();
  });
});
