// Templates in Chromium against a real `sesami serve` (the simulator): the editor's live preview is
// rendered by the wasm core as you type, missing variables are named, the template is saved, and
// the Send page sends it by name — the simulator renders it with the same rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realErrors, shot, signIn, startDashboard } from './harness.mjs';

const env = startDashboard({ events: 200 });
const csrf = async (page) => (await (await page.request.get('/auth/session')).json()).csrfToken;

describe('templates', () => {
  it('the editor previews with the wasm core, names missing data, saves; the Send page sends it by name', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/templates');
    await page.getByTestId('templates-stored-in').waitFor();
    await page.getByTestId('template-new').click();
    await page.getByTestId('template-editor').waitFor();

    await page.getByLabel('Name').fill('receipt');
    await page.getByLabel('Subject').fill('Order {{order.id}} for {{name}}');
    await page.getByLabel('Text').fill('Hi {{name}}\n{{#each items}}\n- {{title}}\n{{/each}}');
    await page.getByLabel('HTML').fill('<p id="hi">Hi {{name}}</p>');
    // The preview follows the typing, rendered in the page (no request to the server).
    const renders = [];
    page.on('request', (r) => {
      if (/\/render$/.test(new URL(r.url()).pathname)) renders.push(r);
    });
    await page
      .getByLabel('Sample data (JSON)')
      .fill('{"name":"Ann","order":{"id":7},"items":[{"title":"Tea"}]}');
    await page.getByTestId('preview-subject').filter({ hasText: 'Order 7 for Ann' }).waitFor();
    assert.equal(await page.getByTestId('preview-text').textContent(), 'Hi Ann\n- Tea\n');
    const frame = page.frameLocator('[data-testid="preview-html"]');
    assert.equal(await frame.locator('#hi').textContent(), 'Hi Ann');
    assert.equal(await page.getByTestId('preview-missing').count(), 0);

    // Data without a variable the template prints: named, as SES would refuse to deliver it.
    await page.getByLabel('Sample data (JSON)').fill('{"name":"Ann"}');
    await page.getByTestId('preview-missing').filter({ hasText: 'order.id' }).waitFor();
    // A syntax error: the part and line, from the core.
    await page.getByLabel('HTML').fill('{{#if x}}');
    await page
      .getByTestId('preview-error')
      .filter({ hasText: "html: line 1: '{{#if}}' is not closed by {{/if}}" })
      .waitFor();
    // The server refuses it with the same words.
    await page.getByTestId('template-save').click();
    await page.getByTestId('template-error').filter({ hasText: 'validation.template' }).waitFor();
    await page.getByLabel('HTML').fill('<p id="hi">Hi {{name}}</p>');
    await page
      .getByLabel('Sample data (JSON)')
      .fill('{"name":"Ann","order":{"id":7},"items":[{"title":"Tea"}]}');
    await shot(page, 'templates');
    await page.getByTestId('template-save').click();
    await page.locator('[data-testid="templates"] li[data-name="receipt"]').waitFor();
    assert.equal(renders.length, 0, 'the preview renders in the browser');
    const stored = await (await page.request.get('/templates/receipt')).json();
    assert.equal(stored.subject, 'Order {{order.id}} for {{name}}');

    // The server's render of the stored template equals the preview's.
    const server = await (
      await page.request.post('/templates/receipt/render', {
        headers: { 'X-CSRF-Token': await csrf(page) },
        data: { data: { name: 'Ann', order: { id: 7 }, items: [{ title: 'Tea' }] } },
      })
    ).json();
    assert.equal(server.subject, 'Order 7 for Ann');
    assert.equal(server.text, 'Hi Ann\n- Tea\n');

    // The Send page picks it and sends it by name.
    await page.goto('/#/send');
    await page.getByLabel('From').fill('sender@example.com');
    await page.getByLabel('Content').selectOption('receipt');
    await page.getByLabel('Template data (JSON)').fill('{"name":"Bo","order":{"id":8},"items":[]}');
    const answer = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/mail',
    );
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const res = await answer;
    assert.equal(res.status(), 200, await res.text());
    assert.deepEqual(res.request().postDataJSON().template, 'receipt');
    const { messageId } = await res.json();
    await page
      .locator(`.attempt[data-message-id="${messageId}"]`)
      .filter({ hasText: 'Order 8 for Bo' })
      .waitFor();

    // Missing data: the server's 422, explained on the form.
    await page.getByRole('button', { name: 'New message' }).click();
    await page.getByLabel('Template data (JSON)').fill('{}');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('[data-testid="send-error"][data-code="template.missing_data"]').waitFor();
    assert.deepEqual(realErrors(page), []);
  });
});
