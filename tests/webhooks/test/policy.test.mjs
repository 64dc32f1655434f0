// The webhook routes as a boundary: endpoint URLs follow the outbound-URL policy (no loopback,
// private or metadata targets, https only, unless the operator allows private webhooks — and
// metadata never), a redirect is not followed, another workspace's endpoint is not there, a viewer
// cannot manage endpoints, and bad input is a 400 with a code. SQLite; the store is the same code
// path on PostgreSQL (delivery.test.mjs runs both).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeDatabase, makeWorkspace, serve, api, receiver, until } from './harness.mjs';

describe('webhook endpoint policy', () => {
  let d;
  let ws;
  let other;
  before(async () => {
    d = await makeDatabase('sqlite');
    ws = await makeWorkspace(d, 'Policy');
    other = await makeWorkspace(d, 'Other tenant');
  });
  after(async () => { await d?.cleanup(); });

  test('without --allow-private-webhooks: loopback, private, metadata and http targets are refused', async () => {
    const server = await serve(d);
    try {
      for (const url of ['https://127.0.0.1/hook', 'https://localhost:8443/hook', 'https://10.1.2.3/hook',
        'https://192.168.0.10/hook', 'https://169.254.169.254/latest/meta-data/', 'https://[::1]/hook',
        'https://0x7f000001/hook', 'http://example.com/hook', 'ftp://example.com/hook', 'https://user@example.com/']) {
        const r = await api(server, ws.apiKey, 'POST', '/webhooks', { url });
        assert.equal(r.status, 400, url);
        assert.equal(r.body.error.code, 'webhooks.url_refused', url);
      }
      // A PATCH cannot move an endpoint there either (created where the policy allows: nowhere
      // public resolves in this sandbox, so the endpoint is made with the flag below).
      const list = await api(server, ws.apiKey, 'GET', '/webhooks');
      assert.deepEqual(list.body.webhooks, []);
    } finally {
      await server.stop();
    }
  });

  test('with --allow-private-webhooks: loopback and http allowed, metadata still refused', async () => {
    const server = await serve(d, ['--allow-private-webhooks']);
    try {
      for (const url of ['http://169.254.169.254/latest/meta-data/', 'https://169.254.169.254/',
        'http://169.254.170.2/v2/credentials', 'http://[fd00:ec2::254]/']) {
        const r = await api(server, ws.apiKey, 'POST', '/webhooks', { url });
        assert.equal(r.status, 400, url);
        assert.equal(r.body.error.code, 'webhooks.url_refused', url);
      }
      const ok = await api(server, ws.apiKey, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/hook' });
      assert.equal(ok.status, 201);
      const moved = await api(server, ws.apiKey, 'PATCH', `/webhooks/${ok.body.id}`, { url: 'http://169.254.169.254/' });
      assert.equal(moved.status, 400);
      assert.equal(moved.body.error.code, 'webhooks.url_refused');
      await api(server, ws.apiKey, 'DELETE', `/webhooks/${ok.body.id}`);
    } finally {
      await server.stop();
    }
  });

  test('a redirect is not followed', async () => {
    const target = await receiver();
    const rx = await receiver(() => ({ status: 307, headers: { Location: `${target.url}/stolen` } }));
    const server = await serve(d, ['--allow-private-webhooks', '--test-webhook-backoff-scale', '1000']);
    try {
      const created = await api(server, ws.apiKey, 'POST', '/webhooks', { url: rx.url });
      rx.secrets.push(created.body.secret);
      target.secrets.push(created.body.secret);
      await api(server, ws.apiKey, 'POST', `/webhooks/${created.body.id}/test`);
      const path = `/webhooks/${created.body.id}/deliveries`;
      await until(async () => (await api(server, ws.apiKey, 'GET', path)).body.deliveries[0]?.attempts === 1,
        'the first attempt recorded');
      const dl = (await api(server, ws.apiKey, 'GET', path)).body.deliveries[0];
      assert.equal(dl.state, 'pending', 'a redirect is a failed attempt, retried later');
      assert.equal(dl.attemptLog[0].status, 307);
      assert.equal(rx.messages.length, 1);
      assert.equal(target.messages.length, 0, 'nothing reached the redirect target');
      await api(server, ws.apiKey, 'DELETE', `/webhooks/${created.body.id}`);
    } finally {
      await server.stop();
      await rx.close();
      await target.close();
    }
  });

  test("another workspace's endpoint is not there; a viewer cannot manage endpoints", async () => {
    const server = await serve(d, ['--allow-private-webhooks']);
    try {
      const created = await api(server, ws.apiKey, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/' });
      const id = created.body.id;
      const calls = [['GET', `/webhooks/${id}/deliveries`], ['PATCH', `/webhooks/${id}`, { enabled: false }],
        ['POST', `/webhooks/${id}/rotate-secret`], ['POST', `/webhooks/${id}/test`],
        ['POST', `/webhooks/${id}/deliveries/1/retry`], ['DELETE', `/webhooks/${id}`]];
      for (const [method, path, body] of calls) {
        const r = await api(server, other.apiKey, method, path, body);
        assert.equal(r.status, 404, `${method} ${path}`);
        assert.equal(r.body.error.code, 'webhooks.not_found');
      }
      assert.deepEqual((await api(server, other.apiKey, 'GET', '/webhooks')).body.webhooks, []);
      const still = (await api(server, ws.apiKey, 'GET', '/webhooks')).body.webhooks;
      assert.equal(still.length, 1);
      assert.equal(still[0].enabled, true);

      const viewer = await api(server, ws.apiKey, 'POST', '/api-keys', { name: 'read only', role: 'viewer' });
      assert.equal(viewer.status, 201);
      for (const [method, path, body] of [['GET', '/webhooks'], ['POST', '/webhooks', { url: 'http://127.0.0.1:9/' }],
        ['DELETE', `/webhooks/${id}`]]) {
        const r = await api(server, viewer.body.key, method, path, body);
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.equal(r.body.error.code, 'auth.forbidden');
      }
      await api(server, ws.apiKey, 'DELETE', `/webhooks/${id}`);
    } finally {
      await server.stop();
    }
  });

  test('retries run out into a failed delivery; a manual retry sends it again', async () => {
    let healthy = false;
    const rx = await receiver(() => (healthy ? { status: 200 } : { status: 503, body: 'down' }));
    // The whole ~3-day schedule in well under a second.
    const server = await serve(d, ['--allow-private-webhooks', '--test-webhook-backoff-scale', '0.000001']);
    try {
      const created = await api(server, ws.apiKey, 'POST', '/webhooks', { url: rx.url });
      rx.secrets.push(created.body.secret);
      await api(server, ws.apiKey, 'POST', `/webhooks/${created.body.id}/test`);
      const path = `/webhooks/${created.body.id}/deliveries`;
      await until(async () => (await api(server, ws.apiKey, 'GET', path)).body.deliveries[0]?.state === 'failed',
        'the delivery to fail for good');
      const failed = (await api(server, ws.apiKey, 'GET', path)).body.deliveries[0];
      assert.equal(failed.attempts, 15);
      assert.equal(failed.nextRetryAt, null);
      assert.equal(failed.attemptLog.at(-1).nextRetryAt, null);
      assert.equal(rx.messages.length, 15);
      assert.equal(new Set(rx.messages.map((m) => m.headers['webhook-id'])).size, 1);
      healthy = true;
      const retry = await api(server, ws.apiKey, 'POST', `${path}/${failed.id}/retry`);
      assert.equal(retry.status, 202);
      await until(async () => (await api(server, ws.apiKey, 'GET', path)).body.deliveries[0]?.state === 'delivered',
        'the manual retry');
      assert.equal(rx.verified.length, 1);
      const unknown = await api(server, ws.apiKey, 'POST', `${path}/999999/retry`);
      assert.equal(unknown.status, 404);
      await api(server, ws.apiKey, 'DELETE', `/webhooks/${created.body.id}`);
    } finally {
      await server.stop();
      await rx.close();
    }
  });

  test('an endpoint failing for longer than the limit is disabled with a reason', async () => {
    const rx = await receiver(() => ({ status: 500 }));
    const server = await serve(d, ['--allow-private-webhooks', '--test-webhook-backoff-scale', '0.00001',
      '--test-webhook-disable-after-ms', '200']);
    try {
      const created = await api(server, ws.apiKey, 'POST', '/webhooks', { url: rx.url });
      rx.secrets.push(created.body.secret);
      const id = created.body.id;
      await api(server, ws.apiKey, 'POST', `/webhooks/${id}/test`);
      await until(async () => (await api(server, ws.apiKey, 'GET', '/webhooks')).body.webhooks
        .find((w) => w.id === id)?.enabled === false, 'the endpoint disabled');
      const w = (await api(server, ws.apiKey, 'GET', '/webhooks')).body.webhooks.find((x) => x.id === id);
      assert.match(w.disabledReason, /failing since/);
      assert.ok(w.failingSince);
      const on = await api(server, ws.apiKey, 'PATCH', `/webhooks/${id}`, { enabled: true });
      assert.equal(on.body.enabled, true);
      assert.equal(on.body.disabledReason, null);
      assert.equal(on.body.failingSince, null);
      await api(server, ws.apiKey, 'DELETE', `/webhooks/${id}`);
    } finally {
      await server.stop();
      await rx.close();
    }
  });

  test('validation errors are 400 with a code', async () => {
    const server = await serve(d, ['--allow-private-webhooks']);
    try {
      const cases = [
        [{}, 'validation.url'],
        [{ url: 42 }, 'validation.url'],
        [{ url: 'http://127.0.0.1:9/', eventTypes: ['bounce', 'nonsense'] }, 'validation.event_types'],
        [{ url: 'http://127.0.0.1:9/', eventTypes: 'bounce' }, 'validation.event_types'],
        [{ url: 'http://127.0.0.1:9/', description: 'x'.repeat(501) }, 'validation.description'],
      ];
      for (const [body, code] of cases) {
        const r = await api(server, ws.apiKey, 'POST', '/webhooks', body);
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
        assert.equal(r.body.error.code, code);
      }
      const created = await api(server, ws.apiKey, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/' });
      const id = created.body.id;
      const bad = await api(server, ws.apiKey, 'PATCH', `/webhooks/${id}`, { enabled: 'yes' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'validation.enabled');
      const page = await api(server, ws.apiKey, 'GET', `/webhooks/${id}/deliveries?limit=0`);
      assert.equal(page.status, 400);
      assert.equal(page.body.error.code, 'validation.limit');
      const off = await api(server, ws.apiKey, 'PATCH', `/webhooks/${id}`, { enabled: false, eventTypes: ['complaint'] });
      assert.equal(off.status, 200);
      assert.equal(off.body.enabled, false);
      assert.deepEqual(off.body.eventTypes, ['complaint']);
      const test409 = await api(server, ws.apiKey, 'POST', `/webhooks/${id}/test`);
      assert.equal(test409.status, 409);
      assert.equal(test409.body.error.code, 'webhooks.disabled');
      await api(server, ws.apiKey, 'DELETE', `/webhooks/${id}`);
      const gone = await api(server, ws.apiKey, 'DELETE', `/webhooks/${id}`);
      assert.equal(gone.status, 404);
    } finally {
      await server.stop();
    }
  });
});
