// The reputation guard and the alert bell in Chromium against a real `sesami serve`: 100 sends and
// 11 hard bounces of the last hour imported into the workspace pause its bulk sending; the
// Overview says so with the reason, a viewer sees no Resume button, the owner resumes (and the
// same evidence does not pause again), and the bell lists the alert until it is read.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, repo, realErrors, signIn, startDashboard, VIEWER } from './harness.mjs';

const run = promisify(execFile);
const env = startDashboard({ events: 100 });

// EventBridge SES events for real recipients, timed now: what the guard judges.
function events() {
  const tpl = (k) =>
    JSON.parse(
      readFileSync(join(repo, 'tests', 'fixtures', 'eventbridge', `event-${k}.json`), 'utf8'),
    );
  const now = new Date().toISOString();
  const lines = [];
  for (let i = 0; i < 100; i++) {
    for (const kind of i < 11 ? ['send', 'bounce'] : ['send']) {
      const e = tpl(kind);
      const rcpt = `guard${i}@example.org`;
      e.id = `e2e-guard-${kind}-${i}`;
      e.time = now.replace(/\.\d+Z$/, 'Z');
      Object.assign(e.detail.mail, {
        timestamp: now,
        messageId: `e2e-guard-${i}`,
        destination: [rcpt],
      });
      if (kind === 'bounce') {
        e.detail.bounce.timestamp = now;
        e.detail.bounce.bouncedRecipients[0].emailAddress = rcpt;
      }
      lines.push(JSON.stringify(e));
    }
  }
  return lines.join('\n') + '\n';
}

describe('reputation guard and alerts', () => {
  before(async () => {
    const file = join(env.db.dir, 'guard-events.jsonl');
    writeFileSync(file, events());
    await run(bin, ['import', file, '--db', env.db.db]);
  });

  it('shows the pause and its reason; a viewer cannot resume', async () => {
    const page = await env.page();
    await signIn(page, VIEWER);
    const panel = page.getByTestId('reputation');
    await panel.waitFor();
    assert.equal(await panel.getAttribute('data-status'), 'paused');
    assert.match(
      await page.getByTestId('reputation-reason').textContent(),
      /bounce rate 1[01]\.\d\d % over the last 24h/, // 11 of 100 sends, or of 101 when the alert mail's Send event is counted first
    );
    assert.equal(await page.getByTestId('reputation-resume').count(), 0);
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });

  it('the bell lists the alert with what to do; the owner resumes and reads it', async () => {
    const page = await env.page();
    await signIn(page);
    const panel = page.getByTestId('reputation');
    await panel.waitFor();
    assert.equal(await panel.getAttribute('data-status'), 'paused');

    await page.getByTestId('alert-unread').waitFor();
    assert.equal((await page.getByTestId('alert-unread').textContent()).trim(), '1');
    await page.getByTestId('alert-bell').click();
    const item = page.locator('[data-testid="alert-item"][data-kind="reputation_paused"]');
    await item.waitFor();
    assert.match(await item.textContent(), /Bulk sending paused/);
    assert.match(await item.textContent(), /What to do:/);
    assert.match(await item.textContent(), /Since /);

    await page.getByTestId('reputation-resume').click();
    await page.locator('[data-testid="reputation"][data-status="warning"]').waitFor();
    assert.match(
      await page.getByTestId('reputation-reason').textContent(),
      /resumed on this evidence/,
    );
    // Not paused again on the same evidence, after a reload either.
    await page.reload();
    await page.locator('[data-testid="reputation"][data-status="warning"]').waitFor();

    // Resumed above the warning level: the pause alert is resolved, a warning alert is new.
    await page.getByTestId('alert-bell').click();
    await item.getByRole('button', { name: 'Mark read' }).click();
    await item.getByRole('button', { name: 'Mark read' }).waitFor({ state: 'detached' });
    const warning = page.locator('[data-testid="alert-item"][data-kind="reputation_warning"]');
    assert.match(await warning.textContent(), /Reputation warning/);
    assert.equal((await page.getByTestId('alert-unread').textContent()).trim(), '1');
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await page.getByTestId('alert-unread').waitFor({ state: 'detached' });
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });
});
