// Pipeline health in Chromium against a real `sesami serve`: Overview's health strip before any
// event, after a send through the simulator ("last event … via the simulator"), and red with what
// to check once the source is quiet past the window an admin set on Settings → Sources; a viewer
// sees the sources without the window editor. Time moves by rewinding the stored timestamps.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { realErrors, signIn, startDashboard, VIEWER } from './harness.mjs';

const run = promisify(execFile);
const env = startDashboard({ events: 100 });

describe('pipeline health', () => {
  it('shows the last event on Overview, the sources on Settings, and turns red when a source goes silent', async () => {
    const page = await env.page();
    await signIn(page);
    const strip = page.getByTestId('health-strip');
    await strip.getByText('No event has arrived yet.').waitFor();
    assert.equal(await strip.getAttribute('data-silent'), 'false');

    // A send through the simulator: its events arrive through ingestion, the simulator's source.
    await page.goto('/#/send');
    await page.getByLabel('From').fill('sender@example.com');
    await page.getByLabel('To', { exact: true }).fill('success@simulator.amazonses.com');
    await page.getByLabel('Subject').fill('E2E health');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page
      .getByTestId('watch')
      .locator('.timeline .tl-item[data-type="delivery"]')
      .waitFor({ timeout: 30_000 });

    await page.goto('/#/');
    await page.reload(); // the strip fetches on load
    await strip.getByText(/Last event (just now|1 min ago) via the simulator/).waitFor();
    assert.equal(await strip.getAttribute('data-silent'), 'false');

    // Settings → Sources: the simulator, not watched until an admin sets a window.
    await page.goto('/#/settings');
    const sources = page.getByTestId('sources');
    const sim = sources.locator('[data-testid="source"][data-kind="simulator"]');
    await sim.waitFor();
    await sim.getByText('not watched').waitFor();
    await sim.getByLabel('Silence window (minutes)').fill('4');
    await sim.getByRole('button', { name: 'Save window' }).click();
    // Below the least window the form refuses it before asking the server (which would too).
    assert.equal(
      await sim.getByLabel('Silence window (minutes)').evaluate((e) => e.validity.rangeUnderflow),
      true,
    );
    await sim.getByLabel('Silence window (minutes)').fill('5');
    await sim.getByRole('button', { name: 'Save window' }).click();
    await sim.getByText('5 min', { exact: true }).waitFor();
    assert.equal(await sim.getAttribute('data-silent'), 'false');

    // Ten minutes without an event.
    await run('sqlite3', [
      env.db.db,
      "UPDATE ingest_sources SET first_event_at = first_event_at - 600000, last_event_at = last_event_at - 600000 WHERE kind = 'simulator'",
    ]);
    await page.goto('/#/');
    await page.reload();
    await strip.getByText(/Last event 10 min ago via the simulator/).waitFor();
    assert.equal(await strip.getAttribute('data-silent'), 'true');
    assert.equal(await strip.getAttribute('role'), 'alert');
    const finding = strip.getByTestId('health-finding');
    await finding.getByText(/events are not arriving from the mailbox simulator/).waitFor();
    await finding.getByText('What to check').click();
    await finding.getByText(/look at the server's log/).waitFor();

    await page.goto('/#/settings');
    await sources
      .locator('[data-testid="source"][data-kind="simulator"][data-silent="true"]')
      .getByText('silent', { exact: true })
      .waitFor();
    // Back to the default: the simulator is not watched, nothing is silent.
    await sim.getByRole('button', { name: 'Use the default' }).click();
    await sources
      .locator('[data-testid="source"][data-kind="simulator"][data-silent="false"]')
      .getByText('not watched')
      .waitFor();
    assert.deepEqual(realErrors(page), []);
  });

  it('a viewer sees the sources without the window editor', async () => {
    const page = await env.page();
    await signIn(page, VIEWER);
    await page.goto('/#/settings');
    const sim = page
      .getByTestId('sources')
      .locator('[data-testid="source"][data-kind="simulator"]');
    await sim.waitFor();
    assert.equal(await sim.getByRole('button', { name: 'Save window' }).count(), 0);
    assert.deepEqual(realErrors(page), []);
  });
});
