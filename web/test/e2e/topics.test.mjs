// Topics and preferences (issue #20) in Chromium against a real `sesami serve`: the Contacts page
// (topics, CSV import with its bad lines named, per-topic edit) and the recipient's preference page
// behind a topic mail's unsubscribe link (no sign-in: one-click, then re-subscribe with the form).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realErrors, signIn, startDashboard } from './harness.mjs';

const env = startDashboard({ events: 100 });

/// Calls the API from a signed-in page, with its session's CSRF token.
async function api(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const s = await (await fetch('/auth/session')).json();
      const r = await fetch(path, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    [method, path, body],
  );
}

describe('topics and contacts', () => {
  it('the Contacts page adds a topic, names the bad lines of an import, and edits a contact', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/contacts');
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await page.getByLabel('Name').fill('news');
    await page.getByLabel('Description').fill('Monthly news');
    const made = page.waitForResponse(
      (r) => r.url().endsWith('/topics') && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Add topic' }).click();
    assert.equal((await made).status(), 201);
    await page.getByTestId('topics').locator('tr[data-topic="news"]').waitFor();

    // A file with a bad line: refused whole, the line named.
    await page.getByTestId('import-contacts').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('address,news\nann@example.com,subscribed\nnot-an-address,subscribed\n'),
    });
    await page
      .getByTestId('import-problems')
      .getByText(/line 3: not an email address/)
      .waitFor();
    assert.equal(await page.locator('tr[data-address]').count(), 0);

    await page.getByTestId('import-contacts').setInputFiles({
      name: 'good.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('address,news\nann@example.com,subscribed\nbob@example.com,\n'),
    });
    await page.getByRole('status').filter({ hasText: 'Imported 2 contacts.' }).waitFor();
    await page.locator('tr[data-address="bob@example.com"]').waitFor();

    // Search, then edit ann: news unsubscribed.
    await page.getByLabel('Search').fill('ann');
    await page.locator('tr[data-address="bob@example.com"]').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'ann@example.com', exact: true }).click();
    const editor = page.getByTestId('contact-editor');
    await editor.getByLabel('news').selectOption('unsubscribed');
    const saved = page.waitForResponse((r) => r.request().method() === 'PUT');
    await editor.getByRole('button', { name: 'Save' }).click();
    assert.equal((await saved).status(), 200);
    const ann = await api(page, 'GET', '/contacts/ann@example.com');
    assert.equal(ann.body.topics.news, 'unsubscribed');
    assert.deepEqual(realErrors(page), []);
  });

  it("a topic mail's link leaves that topic in one click, and its page re-subscribes", async () => {
    const admin = await env.page();
    await signIn(admin);
    await api(admin, 'POST', '/topics', { name: 'offers', description: 'Special offers' });
    const sent = await api(admin, 'POST', '/mail', {
      from: 'shop@example.com',
      to: ['cy@example.com'],
      subject: 'Sale',
      text: 'Hi',
      topic: 'offers',
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const link = sent.body.listUnsubscribe;
    assert.match(link, /\/unsubscribe\//);

    // The recipient: no session, another browser context.
    const page = await env.page();
    await page.goto(link);
    await page.getByRole('heading', { name: 'Email preferences' }).waitFor();
    await page.getByText('cy@example.com').waitFor();
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'You are unsubscribed from offers.' })
      .waitFor();
    assert.equal(
      (await api(admin, 'GET', '/contacts/cy@example.com')).body.topics.offers,
      'unsubscribed',
    );
    const blocked = await api(admin, 'POST', '/mail', {
      from: 'shop@example.com',
      to: ['cy@example.com'],
      subject: 'Sale',
      text: 'Hi',
      topic: 'offers',
    });
    assert.equal(blocked.status, 422);
    const receipt = await api(admin, 'POST', '/mail', {
      from: 'shop@example.com',
      to: ['cy@example.com'],
      subject: 'Receipt',
      text: 'Thanks',
    });
    assert.equal(receipt.status, 200);

    // Changed their mind: tick offers again on the same page (a real same-origin form post).
    await page.getByRole('checkbox', { name: /offers/ }).check();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByRole('status').filter({ hasText: 'Your preferences are saved.' }).waitFor();
    assert.equal(await page.getByRole('checkbox', { name: /offers/ }).isChecked(), true);
    assert.equal(
      (await api(admin, 'GET', '/contacts/cy@example.com')).body.topics.offers,
      'subscribed',
    );
    assert.deepEqual(realErrors(page), []);
  });
});
