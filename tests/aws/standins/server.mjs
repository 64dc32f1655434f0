// One HTTP server hosting the STS, SQS and SES stand-ins. Requests are routed by the service in
// their SigV4 credential scope (sts / sqs / ses) after the signature has been verified against
// the shared key directory: the configured long-term keys plus every temporary key STS issued.
// Unsigned /_admin/* routes let tests inspect and steer the state (loopback only).
import http from 'node:http';
import { verify, parseAuthorization, headerLists } from './sigv4.mjs';
import { queryError, jsonError, restJsonError, sendJson } from './common.mjs';
import { Sts } from './sts.mjs';
import { Sqs } from './sqs.mjs';
import { Ses } from './ses.mjs';

const MAX_BODY = 1 << 20;
const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SQS_XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';

// How each service words the SigV4 refusals in its own protocol.
const REST_AUTH_CODES = {
  InvalidClientTokenId: 'UnrecognizedClientException', SignatureDoesNotMatch: 'InvalidSignatureException',
  IncompleteSignature: 'IncompleteSignatureException', RequestExpired: 'InvalidSignatureException',
  ExpiredToken: 'ExpiredTokenException', MissingAuthenticationToken: 'MissingAuthenticationTokenException',
};

export function createStandins(config) {
  const state = {
    config: { region: 'us-east-1', accountId: '111122223333', ...config },
    keys: new Map(),
    calls: {},
    keysUsed: {}, // service → access key id → verified requests signed with it
    rejected: {},
    issued: [],
    denied: [],
    faults: [],
    closing: false,
    count(service, action) {
      const k = `${service}.${action}`;
      this.calls[k] = (this.calls[k] || 0) + 1;
    },
    /** Answers with an injected fault (throttling, 5xx) when one matches; true when it did. */
    fault(res, service, action, render) {
      const i = this.faults.findIndex((f) => f.service === service && (!f.action || f.action === action) && f.remaining > 0);
      if (i < 0) return false;
      const f = this.faults[i];
      if (--f.remaining === 0) this.faults.splice(i, 1);
      render(res, f);
      return true;
    },
  };
  for (const k of state.config.credentials || [])
    state.keys.set(k.accessKeyId, {
      ...k, accountId: k.accountId || state.config.accountId,
      arn: k.arn || `arn:aws:iam::${k.accountId || state.config.accountId}:user/${k.userName || 'sesami'}`,
    });
  const sts = new Sts(state);
  const sqs = new Sqs(state);
  const ses = new Ses(state);

  function refuse(res, service, v, target) {
    state.rejected[v.code] = (state.rejected[v.code] || 0) + 1;
    if (service === 'ses') return restJsonError(res, { status: v.status, code: REST_AUTH_CODES[v.code] || v.code, message: v.message });
    if (service === 'sqs' && target)
      return jsonError(res, { status: v.status, type: `com.amazon.coral.service#${v.code}`, message: v.message, queryCode: v.code });
    const status = service === 'sts' && v.code === 'ExpiredToken' ? 400 : v.status;
    return queryError(res, { status, code: v.code, message: v.message, xmlns: service === 'sqs' ? SQS_XMLNS : STS_XMLNS });
  }

  async function admin(req, res, url, body) {
    const p = url.pathname;
    const json = () => (body.length ? JSON.parse(body.toString()) : {});
    if (req.method === 'GET' && p === '/_admin/state')
      return sendJson(res, 200, {
        calls: state.calls, keysUsed: state.keysUsed, rejected: state.rejected, issued: state.issued, denied: state.denied,
        queues: sqs.snapshot(), suppressions: [...ses.list.values()], faults: state.faults,
      });
    let m;
    if (req.method === 'POST' && (m = /^\/_admin\/queues\/([\w-]+)\/messages$/.exec(p))) {
      const q = sqs.queues.get(m[1]);
      if (!q) return sendJson(res, 404, { error: 'no such queue' });
      const b = json();
      const msg = q.add(b.body, {}, b.delaySeconds || 0);
      return sendJson(res, 200, { MessageId: msg.id });
    }
    if (req.method === 'POST' && p === '/_admin/faults') {
      const f = json();
      state.faults.push({ status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.', count: 1, ...f, remaining: f.count || 1 });
      return sendJson(res, 200, { faults: state.faults.length });
    }
    if (req.method === 'POST' && p === '/_admin/suppressions') {
      const b = json();
      ses.put(b.EmailAddress, b.Reason || 'BOUNCE');
      return sendJson(res, 200, {});
    }
    if (req.method === 'DELETE' && (m = /^\/_admin\/suppressions\/(.+)$/.exec(p))) {
      ses.list.delete(decodeURIComponent(m[1]).toLowerCase());
      return sendJson(res, 200, {});
    }
    if (req.method === 'PUT' && p === '/_admin/config') {
      // Replaces roles / lifetimes / account at run time (e.g. revoke trust mid-test).
      Object.assign(state.config, json());
      return sendJson(res, 200, {});
    }
    return sendJson(res, 404, { error: 'no such admin route' });
  }

  async function handle(req, res) {
    const chunks = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413);
        return res.end();
      }
      chunks.push(c);
    }
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, `http://${req.headers.host || '127.0.0.1'}`);
    if (url.pathname.startsWith('/_admin/')) return admin(req, res, url, body);

    const auth = parseAuthorization(headerLists(req.rawHeaders).get('authorization')?.[0]);
    const target = req.headers['x-amz-target'];
    const service = auth.service || (target ? 'sqs' : url.pathname.startsWith('/v2/') ? 'ses' : 'sts');
    const v = verify(
      { method: req.method, path: url.pathname, query: req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '', rawHeaders: req.rawHeaders, body },
      { lookup: (id) => state.keys.get(id), region: state.config.region, services: [service] },
    );
    if (!v.ok) return refuse(res, service, v, target);
    const principal = v.principal;
    const used = (state.keysUsed[service] ||= {});
    used[v.accessKeyId] = (used[v.accessKeyId] || 0) + 1;
    if (service === 'sts') {
      const params = req.method === 'POST' ? new URLSearchParams(body.toString()) : url.searchParams;
      return sts.handle(res, params, principal);
    }
    if (service === 'sqs') {
      if (!target) return queryError(res, { status: 400, code: 'InvalidAction', message: 'This stand-in speaks the SQS JSON protocol (X-Amz-Target) only.', xmlns: SQS_XMLNS });
      return sqs.handle(req, res, target, body.toString(), principal);
    }
    if (service === 'ses') return ses.handle(req, res, url, body.toString(), principal);
    return queryError(res, { status: 400, code: 'InvalidAction', message: `Unknown service ${service}`, xmlns: STS_XMLNS });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e && e.stack));
    });
  });
  return {
    state, sts, sqs, ses, server,
    async listen(port = 0, host = '127.0.0.1') {
      await new Promise((r) => server.listen(port, host, r));
      const base = `http://${host}:${server.address().port}`;
      sqs.setBase(base);
      return base;
    },
    async close() {
      state.closing = true;
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    },
  };
}
