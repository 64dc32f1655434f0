// The reputation guard and alerts end to end, on SQLite and on PostgreSQL, through a real
// `sesami serve`: SES events for real (non-simulator) recipients posted as the EventBridge API
// destination does → a warning alert → a pause (POST /mail/bulk 409 mail.paused, a running bulk
// job held) → an admin's resume that the same evidence does not undo, and a pause again when the
// rate worsens. Each alert reaches a real receiver (signatures checked with the Standard Webhooks
// reference implementation) and the owners' mail attempts. Three soft bounces suppress an
// address; a failing endpoint disabled after "days" raises an alert. A viewer cannot resume.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDatabase, makeWorkspace, serve, api, ingest, receiver, until, bin } from './harness.mjs';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../../fixtures/eventbridge');
const template = (name) => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));
const templates = {
  send: template('event-send.json'),
  bounce: template('event-bounce.json'),
  complaint: template('event-complaint.json'),
};
let serial = 0;

/// One SES event of `kind` ("send", "bounce", "soft", "complaint") for `rcpt` on message `mid`,
/// timed now (the guard's windows are the last 24 h and 7 d).
function event(kind, rcpt, mid) {
  const e = structuredClone(templates[kind === 'soft' ? 'bounce' : kind]);
  const now = new Date().toISOString();
  serial += 1;
  e.id = `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`;
  e.time = now.replace(/\.\d+Z$/, 'Z');
  const m = e.detail.mail;
  m.timestamp = now;
  m.messageId = mid;
  m.commonHeaders.messageId = mid;
  m.destination = [rcpt];
  m.commonHeaders.to = [rcpt];
  if (kind === 'bounce' || kind === 'soft') {
    const b = e.detail.bounce;
    b.timestamp = now;
    b.bouncedRecipients = [{ emailAddress: rcpt, action: 'failed', status: kind === 'soft' ? '4.2.2' : '5.1.1',
      diagnosticCode: kind === 'soft' ? 'smtp; 452 4.2.2 mailbox full' : 'smtp; 550 5.1.1 user unknown' }];
    if (kind === 'soft') { b.bounceType = 'Transient'; b.bounceSubType = 'General'; }
  }
  if (kind === 'complaint') {
    e.detail.complaint.timestamp = now;
    e.detail.complaint.complainedRecipients = [{ emailAddress: rcpt }];
  }
  return e;
}

async function post(server, ws, kind, rcpt, mid) {
  assert.equal(await ingest(server, ws, event(kind, rcpt, mid)), 200, `${kind} for ${rcpt}`);
}

/// Waits until alert `id` was mailed to the owner (an attempt through the workspace's own path,
/// the simulator here) and its Send event is in: the guard leaves that mail out of the `sends` it
/// judges, which are `sends` again then.
async function mailed(server, ws, id, sends) {
  const path = `/mail/attempts?correlationId=sesami-alert-${id}`;
  await until(async () => (await api(server, ws.apiKey, 'GET', path)).body.attempts[0]?.status === 'sent',
    `alert ${id} mailed to the owner`);
  const a = (await api(server, ws.apiKey, 'GET', path)).body.attempts;
  assert.equal(a.length, 1);
  assert.deepEqual(a[0].recipients, ['owner@acme.test']);
  await until(async () => (await api(server, ws.apiKey, 'GET',
    `/events?type=send&messageId=${encodeURIComponent(a[0].messageId)}`)).body.events.length === 1,
  'the alert mail\'s Send event');
  await until(async () => (await api(server, ws.apiKey, 'GET', '/reputation')).body.sends === sends,
    'the alert mail left out of the sends');
}

// The template bulkBody names: SESami refuses a bulk send of an unknown template, as SES does.
async function newsletter(server, ws) {
  const t = await api(server, ws.apiKey, 'POST', '/templates', { name: 'newsletter', subject: 'Issue {{n}}', text: '#{{n}}' });
  assert.equal(t.status, 201);
}
const bulkBody = (n) => ({
  from: 'news@acme.test',
  template: { name: 'newsletter', data: { n: 0 } },
  destinations: Array.from({ length: n }, (_, i) => ({ to: [`success+${i}@simulator.amazonses.com`] })),
});

for (const backend of ['sqlite', 'postgres']) {
  describe(`reputation guard on ${backend}`, () => {
    let d;
    let ws;
    before(async () => {
      d = await makeDatabase(backend);
      ws = await makeWorkspace(d, 'Guarded');
      await run(bin, ['user', 'add', 'owner@acme.test', '-w', ws.id, '--role', 'owner',
        '--password', 'correct horse battery staple', '--db', d.db], { cwd: d.dir });
    });
    after(async () => { await d?.cleanup(); });

    test('a viewer can read the guard but cannot resume it or change its levels', async () => {
      const server = await serve(d);
      try {
        const viewer = await api(server, ws.apiKey, 'POST', '/api-keys', { name: 'read only', role: 'viewer' });
        assert.equal(viewer.status, 201);
        const r = await api(server, viewer.body.key, 'GET', '/reputation');
        assert.equal(r.status, 200);
        assert.equal(r.body.status, 'ok');
        for (const [method, path, body] of [['POST', '/reputation/resume'],
          ['PATCH', '/reputation/settings', { bouncePause: 0.01 }]]) {
          const x = await api(server, viewer.body.key, method, path, body);
          assert.equal(x.status, 403, `${method} ${path}`);
          assert.equal(x.body.error.code, 'auth.forbidden');
        }
        assert.equal((await api(server, ws.apiKey, 'GET', '/reputation/settings')).body.bouncePause, 0.1);
        // Levels may only be lowered below SES's.
        const high = await api(server, ws.apiKey, 'PATCH', '/reputation/settings', { bouncePause: 0.2 });
        assert.equal(high.status, 400);
        assert.equal(high.body.error.code, 'validation.bouncePause');
      } finally {
        await server.stop();
      }
    });

    test('warning → alert, pause → bulk 409 and a held job, resume holds on the same evidence, worse rates pause again', async () => {
      const rx = await receiver();
      // 5 messages/s: a bulk job's second batch of 50 waits ~10 s for its tokens, long after the
      // bounces below have paused the workspace, so the job holds before that batch.
      const server = await serve(d, ['--allow-private-webhooks', '--test-webhook-backoff-scale', '0.01',
        '--simulator-rate', '5']);
      try {
        await newsletter(server, ws);
        const hook = await api(server, ws.apiKey, 'POST', '/webhooks', { url: rx.url, eventTypes: ['sesami.alert'] });
        assert.equal(hook.status, 201);
        rx.secrets.push(hook.body.secret);

        // 100 real sends: below the minimum nothing is judged.
        for (let i = 0; i < 99; i++) await post(server, ws, 'send', `user${i}@example.org`, `m-${i}`);
        let rep = (await api(server, ws.apiKey, 'GET', '/reputation')).body;
        assert.equal(rep.status, 'ok');
        assert.match(rep.reason, /not judged/);
        await post(server, ws, 'send', 'user99@example.org', 'm-99');

        // A running bulk job: its first batch goes at once, the second waits for rate tokens.
        const job = await api(server, ws.apiKey, 'POST', '/mail/bulk', bulkBody(150));
        assert.equal(job.status, 202);
        await until(async () => (await api(server, ws.apiKey, 'GET', `/mail/bulk/${job.body.id}`)).body.sent === 50,
          'the first batch');

        for (let i = 0; i < 6; i++) await post(server, ws, 'bounce', `user${i}@example.org`, `m-${i}`);
        rep = (await api(server, ws.apiKey, 'GET', '/reputation')).body;
        assert.equal(rep.status, 'warning');
        assert.equal(rep.bounceRate, 0.06);
        assert.equal(rep.sends, 100);
        assert.equal(rep.window, '24h');
        assert.ok(rep.since);
        assert.match(rep.reason, /bounce rate 6\.00 % over the last 24h \(6 of 100 sends\)/);
        let alerts = (await api(server, ws.apiKey, 'GET', '/alerts')).body;
        assert.equal(alerts.unread, 1);
        assert.equal(alerts.alerts[0].kind, 'reputation_warning');
        assert.ok(alerts.alerts[0].action.length > 0, 'the alert says what to do');
        await mailed(server, ws, alerts.alerts[0].id, 100);

        for (let i = 6; i < 11; i++) await post(server, ws, 'bounce', `user${i}@example.org`, `m-${i}`);
        rep = (await api(server, ws.apiKey, 'GET', '/reputation')).body;
        assert.equal(rep.status, 'paused');
        assert.equal(rep.bounceRate, 0.11);
        assert.match(rep.reason, /reached the pause level 10\.00 %/);
        const refused = await api(server, ws.apiKey, 'POST', '/mail/bulk', bulkBody(1));
        assert.equal(refused.status, 409);
        assert.equal(refused.body.error.code, 'mail.paused');
        assert.match(refused.body.error.message, /bounce rate 11\.00 %/);
        // Single sends continue (the workspace did not choose to pause them).
        const single = await api(server, ws.apiKey, 'POST', '/mail',
          { from: 'a@acme.test', to: ['success@simulator.amazonses.com'], subject: 'hi', text: 'hi' });
        assert.equal(single.status, 200);
        // The running job holds before its next batch.
        await until(async () => (await api(server, ws.apiKey, 'GET', `/mail/bulk/${job.body.id}`)).body.status === 'held',
          'the bulk job to hold');
        const held = (await api(server, ws.apiKey, 'GET', `/mail/bulk/${job.body.id}`)).body;
        assert.equal(held.sent, 50);

        // The alerts reach the receiver, signed, and the owners' mail attempts.
        await until(() => rx.verified.length >= 2, 'two alert webhooks');
        const types = rx.verified.map((m) => JSON.parse(m.body).type).sort();
        assert.deepEqual(types, ['sesami.alert.reputation_paused', 'sesami.alert.reputation_warning']);
        assert.equal(rx.failures.length, 0);
        const paused = rx.verified.map((m) => JSON.parse(m.body)).find((m) => m.type.endsWith('paused'));
        assert.match(paused.data.summary, /Bulk sending paused/);
        assert.ok(paused.data.since && paused.data.action);
        await mailed(server, ws, paused.data.id, 100);

        // Resume: at once, and not paused again on the same evidence.
        const resumed = await api(server, ws.apiKey, 'POST', '/reputation/resume');
        assert.equal(resumed.status, 200);
        assert.notEqual(resumed.body.status, 'paused');
        assert.ok(resumed.body.resumedAt);
        rep = (await api(server, ws.apiKey, 'GET', '/reputation')).body;
        assert.equal(rep.status, 'warning');
        assert.match(rep.reason, /resumed on this evidence/);
        assert.notEqual((await api(server, ws.apiKey, 'GET', `/mail/bulk/${job.body.id}`)).body.status, 'held');
        assert.equal((await api(server, ws.apiKey, 'POST', '/mail/bulk', bulkBody(1))).status, 202);
        await post(server, ws, 'send', 'late@example.org', 'm-late');  // new sends, same bounces
        assert.equal((await api(server, ws.apiKey, 'GET', '/reputation')).body.status, 'warning');

        // Worse than the evidence: paused again.
        for (let i = 11; i < 14; i++) await post(server, ws, 'bounce', `user${i}@example.org`, `m-${i}`);
        rep = (await api(server, ws.apiKey, 'GET', '/reputation')).body;
        assert.equal(rep.status, 'paused');
        assert.equal((await api(server, ws.apiKey, 'POST', '/mail/bulk', bulkBody(1))).status, 409);

        alerts = (await api(server, ws.apiKey, 'GET', '/alerts?unread=true')).body;
        assert.ok(alerts.unread >= 2);
        const read = await api(server, ws.apiKey, 'POST', `/alerts/${alerts.alerts[0].id}/read`);
        assert.equal(read.status, 200);
        assert.equal(read.body.unread, alerts.unread - 1);
        assert.equal((await api(server, ws.apiKey, 'POST', '/alerts/alr_nope/read')).status, 404);
        assert.equal((await api(server, ws.apiKey, 'POST', '/alerts/read')).body.unread, 0);
        await api(server, ws.apiKey, 'POST', '/reputation/resume');
        await api(server, ws.apiKey, 'DELETE', `/webhooks/${hook.body.id}`);
      } finally {
        await server.stop();
        await rx.close();
      }
    });

    test('three soft bounces on different messages suppress the address; two do not', async () => {
      const server = await serve(d);
      try {
        const addr = 'full-mailbox@example.org';
        await post(server, ws, 'soft', addr, 'soft-1');
        await post(server, ws, 'soft', addr, 'soft-1');  // the same message again: counts once
        await post(server, ws, 'soft', addr, 'soft-2');
        const before = await api(server, ws.apiKey, 'GET', `/suppression-list?contains=full-mailbox`);
        assert.equal(before.body.entries.length, 0);
        await post(server, ws, 'soft', addr, 'soft-3');
        const after_ = await api(server, ws.apiKey, 'GET', `/suppression-list?contains=full-mailbox`);
        assert.equal(after_.body.entries.length, 1);
        assert.equal(after_.body.entries[0].reason, 'soft_bounce_repeated');
      } finally {
        await server.stop();
      }
    });

    test('an endpoint disabled after failing for days raises an alert, delivered to the other endpoints', async () => {
      const failing = await receiver(() => ({ status: 500, body: 'broken' }));
      const rx = await receiver();
      const server = await serve(d, ['--allow-private-webhooks', '--test-webhook-backoff-scale', '0.01',
        '--test-webhook-disable-after-ms', '200']);
      try {
        const bad = await api(server, ws.apiKey, 'POST', '/webhooks', { url: failing.url, eventTypes: ['bounce'] });
        failing.secrets.push(bad.body.secret);
        const good = await api(server, ws.apiKey, 'POST', '/webhooks',
          { url: rx.url, eventTypes: ['sesami.alert.webhook_disabled'] });
        rx.secrets.push(good.body.secret);
        await post(server, ws, 'bounce', 'gone@example.org', 'm-gone');
        const mine = (a) => a.kind === 'webhook_disabled' && a.summary.endsWith(failing.url);
        await until(async () => (await api(server, ws.apiKey, 'GET', '/alerts')).body.alerts.some(mine),
          'the webhook_disabled alert');
        const a = (await api(server, ws.apiKey, 'GET', '/alerts')).body.alerts.find(mine);
        assert.match(a.action, /enable the endpoint again/);
        assert.match(a.detail, new RegExp(bad.body.id));
        await until(() => rx.verified.some((m) => JSON.parse(m.body).data.id === a.id), 'the alert on the other endpoint');
        assert.equal(rx.failures.length, 0);
        const msg = JSON.parse(rx.verified.find((m) => JSON.parse(m.body).data.id === a.id).body);
        assert.equal(msg.type, 'sesami.alert.webhook_disabled');
        const eps = (await api(server, ws.apiKey, 'GET', '/webhooks')).body.webhooks;
        assert.equal(eps.find((e) => e.id === bad.body.id).enabled, false);
      } finally {
        await server.stop();
        await rx.close();
        await failing.close();
      }
    });
  });
}

// Several nodes on one PostgreSQL database: the pause and the resume live in the database, so a
// pause one node records refuses bulk sends on the other, and a resume on either lifts it for both.
describe('reputation guard across nodes', () => {
  test('a pause recorded by one node holds on the other; a resume there lifts it here', async () => {
    const d = await makeDatabase('postgres');
    const a = await serve(d);
    const b = await serve(d);
    try {
      const ws = await makeWorkspace(d, 'Two nodes');
      await newsletter(a, ws);
      assert.equal((await api(a, ws.apiKey, 'PATCH', '/reputation/settings', { minSends: 1 })).status, 200);
      await post(a, ws, 'send', 'n1@example.org', 'nodes-1');
      await post(a, ws, 'bounce', 'n1@example.org', 'nodes-1');
      assert.equal((await api(a, ws.apiKey, 'GET', '/reputation')).body.status, 'paused');
      const refused = await api(b, ws.apiKey, 'POST', '/mail/bulk', bulkBody(1));
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'mail.paused');
      assert.equal((await api(b, ws.apiKey, 'POST', '/reputation/resume')).status, 200);
      assert.equal((await api(a, ws.apiKey, 'POST', '/mail/bulk', bulkBody(1))).status, 202);
      const rep = (await api(a, ws.apiKey, 'GET', '/reputation')).body;
      assert.notEqual(rep.status, 'paused');
      assert.ok(rep.resumedAt);
    } finally {
      await a.stop();
      await b.stop();
      await d.cleanup();
    }
  });
});

// Metrics: the gauges per workspace, on the metrics token's GET /metrics.
describe('reputation gauges', () => {
  test('sesami_bounce_rate, sesami_complaint_rate and sesami_reputation_paused per workspace', async () => {
    const d = await makeDatabase('sqlite');
    try {
      const ws = await makeWorkspace(d, 'Gauged');
      writeFileSync(join(d.dir, 'metrics.token'), 'metrics-token-for-tests-0123456789', { mode: 0o600 });
      const server = await serve(d, ['--metrics-token-file', join(d.dir, 'metrics.token')]);
      try {
        for (let i = 0; i < 100; i++) await post(server, ws, 'send', `g${i}@example.org`, `g-${i}`);
        for (let i = 0; i < 12; i++) await post(server, ws, 'bounce', `g${i}@example.org`, `g-${i}`);
        await post(server, ws, 'complaint', 'g50@example.org', 'g-50');
        const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer metrics-token-for-tests-0123456789' } });
        const text = await res.text();
        assert.equal(res.status, 200);
        assert.match(text, /# TYPE sesami_bounce_rate gauge/);
        assert.match(text, new RegExp(`sesami_bounce_rate\\{workspace="${ws.id}",window="24h"\\} 0\\.12`));
        assert.match(text, new RegExp(`sesami_complaint_rate\\{workspace="${ws.id}",window="7d"\\} 0\\.01`));
        assert.match(text, new RegExp(`sesami_reputation_paused\\{workspace="${ws.id}"\\} 1`));
      } finally {
        await server.stop();
      }
    } finally {
      await d.cleanup();
    }
  });
});
