// Accessibility: axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on every page of the dashboard, signed
// out and signed in, in the light and the dark theme, in Chromium against a real `sesami serve`.
// Any serious or critical violation fails, naming the rule and the elements.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { signIn, startDashboard } from './harness.mjs';

// Evaluated through the DevTools protocol: the dashboard's Content-Security-Policy (script-src
// 'self') rightly refuses an injected <script>.
const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
const env = startDashboard({ events: 2000 });
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

async function violations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    TAGS,
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}, ${v.nodes.length}): ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
}

async function firstEvent(page) {
  const r = await (await page.request.get('/events?limit=1&type=bounce')).json();
  return r.events[0];
}

for (const colorScheme of ['light', 'dark']) {
  describe(`axe, ${colorScheme} theme`, () => {
    it('signed out: the sign-in page and Explore', async () => {
      const page = await env.page({ colorScheme });
      for (const path of ['/#/', '/#/explore']) {
        await page.goto(path);
        await page.locator('main').first().waitFor();
        await page.waitForLoadState('networkidle');
        assert.deepEqual(await violations(page), [], `${path} (${colorScheme})`);
      }
    });

    it('signed in: every page', async () => {
      const page = await env.page({ colorScheme });
      await signIn(page);
      const e = await firstEvent(page);
      const pages = [
        '/#/',
        '/#/events?range=90d',
        `/#/recipients/${encodeURIComponent(e.recipient)}`,
        `/#/messages/${encodeURIComponent(e.messageId)}`,
        '/#/suppression',
        '/#/contacts',
        '/#/send',
        '/#/settings',
        '/#/explore',
      ];
      for (const path of pages) {
        await page.goto(path);
        await page.locator('#main').waitFor();
        await page.waitForLoadState('networkidle');
        assert.deepEqual(await violations(page), [], `${path} (${colorScheme})`);
      }
    });
  });
}
