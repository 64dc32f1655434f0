// Outbound webhooks end to end, on SQLite and on PostgreSQL: a stored event reaches a real
// receiver signed as Standard Webhooks says (checked by its reference implementation), a failed
// first attempt is retried with the same webhook-id, a duplicate SNS/EventBridge delivery makes no
// second message, a kill -9 in the middle of a burst loses nothing, and rotation signs with both
// secrets.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeDatabase, makeWorkspace, serve, api, sesEvent, ingest, receiver, until } from './harness.mjs';

// First retry ~50 ms instead of ~5 s; a dead node's claims expire after 1 s.
const fast = ['--allow-private-webhooks', '--test-webhook-backoff-scale', '0.01', '--test-webhook-lease-ms', '3000', '--webhook-timeout-ms', '1000'];

for (const backend of ['sqlite', 'postgres']) {
  describe(`webhooks on ${backend}`, () => {
    let d;
    let ws;
    before(async () => {
      d = await makeDatabase(backend);
      ws = await makeWorkspace(d, 'Hooks');
    });
    after(async () => { await d?.cleanup(); });

    test('a stored event is signed, fails once, and the retry with the same webhook-id is accepted', async () => {
      const seen = new Map();  // webhook-id → attempts
      const rx = await receiver((m) => {
        const n = (seen.get(m.headers['webhook-id']) ?? 0) + 1;
        seen.set(m.headers['webhook-id'], n);
        return n === 1 ? { status: 500, body: 'not yet' } : { status: 204 };
      });
      const server = await serve(d, fast);
      try {
        const created = await api(server, ws.apiKey, 'POST', '/webhooks',
          { url: `${rx.url}/hooks`, eventTypes: ['bounce'], description: 'orders service' });
        assert.equal(created.status, 201);
        assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
        assert.deepEqual(created.body.eventTypes, ['bounce']);
        rx.secrets.push(created.body.secret);
        // The secret is shown once: the list never carries it.
        const list = await api(server, ws.apiKey, 'GET', '/webhooks');
        assert.equal(list.body.webhooks.length, 1);
        assert.equal(list.body.webhooks[0].secret, undefined);

        assert.equal(await ingest(server, ws, sesEvent('delivery', 1)), 200);  // not a subscribed type
        assert.equal(await ingest(server, ws, sesEvent('bounce', 1)), 200);
        await until(() => rx.verified.length === 1, 'the retried message');
        assert.equal(rx.failures.length, 0, 'every message verifies with the reference implementation');
        assert.equal(rx.messages.length, 2, 'one failed attempt, one accepted retry');
        const [first, second] = rx.messages;
        assert.equal(first.headers['webhook-id'], second.headers['webhook-id']);
        const payload = JSON.parse(second.body);
        assert.equal(payload.type, 'email.bounce');
        assert.match(payload.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        // data is the event exactly as GET /events serves it (tags included: the correlation id).
        const events = await api(server, ws.apiKey, 'GET', '/events?type=bounce');
        assert.deepEqual(payload.data, events.body.events[0]);
        assert.deepEqual(payload.data.tags['sesami-correlation-id'], ['order-1']);

        const id = created.body.id;
        await until(async () => (await api(server, ws.apiKey, 'GET', `/webhooks/${id}/deliveries`))
          .body.deliveries[0]?.state === 'delivered', 'the delivery recorded as delivered');
        const log = (await api(server, ws.apiKey, 'GET', `/webhooks/${id}/deliveries`)).body;
        assert.equal(log.deliveries.length, 1, 'the delivery event type was not sent');
        const dl = log.deliveries[0];
        assert.equal(dl.type, 'email.bounce');
        assert.equal(dl.webhookId, first.headers['webhook-id']);
        assert.equal(dl.attempts, 2);
        assert.deepEqual(dl.attemptLog.map((a) => a.status), [500, 204]);
        assert.equal(dl.attemptLog[0].response, 'not yet');
        assert.ok(dl.attemptLog[0].nextRetryAt, 'the failed attempt names its retry');
        assert.equal(dl.nextRetryAt, null);
      } finally {
        await server.stop();
        await rx.close();
      }
    });

    test('duplicates of one event make one delivery', async () => {
      const rx = await receiver();
      const server = await serve(d, fast);
      try {
        const created = await api(server, ws.apiKey, 'POST', '/webhooks', { url: rx.url });
        rx.secrets.push(created.body.secret);
        const e = sesEvent('delivery', 2);
        for (let i = 0; i < 3; i++) assert.equal(await ingest(server, ws, e), 200);
        // The outbox row is written in the event's transaction: once the answers are in, the
        // deliveries are final.
        const log = (await api(server, ws.apiKey, 'GET', `/webhooks/${created.body.id}/deliveries`)).body;
        assert.equal(log.deliveries.length, 1);
        await until(() => rx.verified.length === 1, 'the one message');
        assert.equal(JSON.parse(rx.verified[0].body).type, 'email.delivery');
        await api(server, ws.apiKey, 'DELETE', `/webhooks/${created.body.id}`);
      } finally {
        await server.stop();
        await rx.close();
      }
    });

    test('kill -9 during a burst: after a restart every stored event is acknowledged', async () => {
      const rx = await receiver();
      let server = await serve(d, fast);
      const created = await api(server, ws.apiKey, 'POST', '/webhooks', { url: rx.url, eventTypes: ['delivery'] });
      rx.secrets.push(created.body.secret);
      let acked = 0;
      const burst = [];
      for (let n = 1000; n < 1400; n++)
        burst.push(ingest(server, ws, sesEvent('delivery', n)).then((s) => { if (s === 200) acked++; }, () => {}));
      await until(() => acked >= 100, 'a hundred stored events');
      await server.kill9();
      await Promise.allSettled(burst);
      server = await serve(d, fast);
      try {
        const ids = new Set();
        let cursor = null;
        do {
          const page = (await api(server, ws.apiKey, 'GET',
            `/events?type=delivery&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body;
          for (const e of page.events) if (/^EXAMPLE-webhooks-delivery-1\d{3}$/.test(e.messageId)) ids.add(e.id);
          cursor = page.next;
        } while (cursor);
        assert.ok(ids.size >= acked, 'every acknowledged event is stored');
        const got = () => new Set(rx.verified.map((m) => JSON.parse(m.body).data.id));
        await until(() => [...ids].every((id) => got().has(id)), 'every stored event at the receiver', 60000)
          .catch((e) => { throw new Error(`${e.message}: ${[...ids].filter((id) => !got().has(id)).length} of ${ids.size} missing`); });
        assert.equal(rx.failures.length, 0);
        await api(server, ws.apiKey, 'DELETE', `/webhooks/${created.body.id}`);
      } finally {
        await server.stop();
        await rx.close();
      }
    });

    test('rotation: the new secret and, for 24 h, the old one both sign', async () => {
      const rx = await receiver();
      const server = await serve(d, fast);
      try {
        const created = await api(server, ws.apiKey, 'POST', '/webhooks', { url: rx.url });
        const old = created.body.secret;
        const rotated = await api(server, ws.apiKey, 'POST', `/webhooks/${created.body.id}/rotate-secret`);
        assert.equal(rotated.status, 200);
        assert.notEqual(rotated.body.secret, old);
        assert.ok(rotated.body.previousSecretExpiresAt);
        rx.secrets.push(rotated.body.secret);
        const t = await api(server, ws.apiKey, 'POST', `/webhooks/${created.body.id}/test`);
        assert.equal(t.status, 202);
        await until(() => rx.verified.length === 1, 'the test message');
        const m = rx.verified[0];
        assert.equal(JSON.parse(m.body).type, 'sesami.test');
        assert.equal(m.headers['webhook-signature'].split(' ').length, 2);
        // Each secret alone verifies it (the reference implementation accepts any one signature).
        for (const s of [old, rotated.body.secret]) {
          const check = await receiver();
          check.secrets.push(s);
          const res = await fetch(check.url, { method: 'POST', headers: m.headers, body: m.body });
          assert.equal(res.status, 204, `signed with ${s === old ? 'the old' : 'the new'} secret`);
          await check.close();
        }
        await api(server, ws.apiKey, 'DELETE', `/webhooks/${created.body.id}`);
      } finally {
        await server.stop();
        await rx.close();
      }
    });
  });
}
