// People on Settings, in Chromium against a real `sesami serve`: change a member's role, the last
// owner kept (the API's rule shown to the person), remove a member, change your own password.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OWNER, VIEWER, realErrors, signIn, startDashboard } from './harness.mjs';

const env = startDashboard({ events: 100 });

describe('people', () => {
  it('an owner changes a role, is told the last owner stays one, and removes a member', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/settings');
    const viewerRole = page.getByLabel(`Role of ${VIEWER.email}`);
    await viewerRole.waitFor();
    assert.equal(await viewerRole.inputValue(), 'viewer');

    const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await viewerRole.selectOption('admin');
    assert.equal((await patched).status(), 200);
    await page.reload();
    await page.getByLabel(`Role of ${VIEWER.email}`).waitFor();
    assert.equal(await page.getByLabel(`Role of ${VIEWER.email}`).inputValue(), 'admin');

    // The only owner demoting themself: refused, said, and the list shows the role unchanged.
    const refused = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.getByLabel(`Role of ${OWNER.email}`).selectOption('viewer');
    assert.equal((await refused).status(), 409);
    await page.getByText(/last owner/).waitFor();
    await page.waitForFunction(
      (email) => document.querySelector(`select[aria-label="Role of ${email}"]`)?.value === 'owner',
      OWNER.email,
    );

    // No Remove button for yourself; removing the other member asks first.
    const mine = page.getByTestId('member').filter({ hasText: OWNER.email });
    assert.equal(await mine.getByRole('button', { name: 'Remove' }).count(), 0);
    page.once('dialog', (d) => d.accept());
    const removed = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await page
      .getByTestId('member')
      .filter({ hasText: VIEWER.email })
      .getByRole('button', { name: 'Remove' })
      .click();
    assert.equal((await removed).status(), 204);
    await page
      .getByTestId('member')
      .filter({ hasText: VIEWER.email })
      .waitFor({ state: 'detached' });
    assert.deepEqual(realErrors(page), []);
  });

  it('a person changes their own password, and signs in with the new one', async () => {
    const page = await env.page();
    await signIn(page);
    await page.goto('/#/settings');
    // A wrong current password is said on the form; the session stays (it once sent the person
    // to the sign-in page, as if it had expired).
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password').fill('a brand new password 42');
    const wrong = page.waitForResponse((r) => r.url().endsWith('/auth/password'));
    await page.getByRole('button', { name: 'Change password' }).click();
    assert.equal((await wrong).status(), 401);
    await page.getByText(/current password is wrong/).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Settings' }).count(), 1);
    await page.getByLabel('Current password').fill(OWNER.password);
    await page.getByLabel('New password').fill('a brand new password 42');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();

    const fresh = await env.page();
    await signIn(fresh, { email: OWNER.email, password: 'a brand new password 42' });
    const s = await (await fresh.request.get('/auth/session')).json();
    assert.equal(s.role, 'owner');
  });
});
