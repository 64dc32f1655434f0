// Sign in with OpenID Connect, end to end: a real `sesami serve` against a real OpenID provider
// (npm oidc-provider over HTTPS on loopback), driven like a browser over HTTP. The attacks are the
// provider's own answers made hostile (tampered, wrong audience, expired, unsigned, unknown key),
// a replayed or foreign state, an unverified email and an email nobody invited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { Browser } from './browser.mjs';
import { makeCertificate, makeKeys, startProvider, resign, editPayload } from './provider.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.env.SESAMI_BIN
  ? resolve(process.env.INIT_CWD ?? process.cwd(), process.env.SESAMI_BIN)
  : join(repo, 'build', 'dev', 'server', 'cli', 'sesami');
const SECRET = 'a-client-secret-of-the-sesami-app-client';

const accounts = {
  owner: { email: 'admin@localhost', email_verified: true },
  stranger: { email: 'stranger@example.com', email_verified: true },
  invited: { email: 'Invited@Example.com', email_verified: true },
  unverified: { email: 'unverified@example.com', email_verified: false },
  grouped: { email: 'grouped@example.com', email_verified: true, 'cognito:groups': ['billing:admin', 'nosuch:owner', 'everyone'] },
};
const state = { login: 'owner', tamper: undefined };

let dir, tls, keys, provider, sesami, sesami2, ports;

function freePort() {
  return new Promise((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => r(port)); });
  });
}

function serve(args) {
  return new Promise((resolveServe, reject) => {
    const child = spawn(bin, ['serve', '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`serve did not start:\n${out}\n${err}`)); }, 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolveServe({
          url: m[1].replace(/\/$/, ''),
          out: () => out,
          err: () => err,
          stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); child.kill('SIGTERM'); }),
        });
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}):\n${out}\n${err}`)); });
  });
}

function clients() {
  return [
    { client_id: 'sesami', client_secret: SECRET, redirect_uris: [`http://127.0.0.1:${ports.a}/auth/oidc/callback`],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
    { client_id: 'sesami-es', client_secret: SECRET, redirect_uris: [`http://127.0.0.1:${ports.b}/auth/oidc/callback`],
      grant_types: ['authorization_code'], response_types: ['code'], id_token_signed_response_alg: 'ES256' },
  ];
}

before(async () => {
  assert.ok(existsSync(bin), `no sesami binary at ${bin}: build it or set SESAMI_BIN`);
  dir = mkdtempSync(join(tmpdir(), 'sesami-oidc-'));
  tls = makeCertificate(dir);
  keys = await makeKeys();
  ports = { a: await freePort(), b: await freePort() };
  provider = await startProvider({ tls, keys, accounts, clients: clients(), state });
  writeFileSync(join(dir, 'secret'), SECRET, { mode: 0o600 });
  const common = ['--oidc-issuer', provider.issuer, '--oidc-client-secret-file', join(dir, 'secret'),
    '--oidc-ca-file', tls.certFile, '--allow-private-targets'];
  sesami = await serve(['--db', join(dir, 'a.db'), '--port', String(ports.a), ...common,
    '--oidc-client-id', 'sesami', '--oidc-membership-claim', 'cognito:groups',
    '--oidc-provider-name', 'Test IdP', '--test-oidc-jwks-refresh-ms', '0']);
  // The second server: ES256 tokens, passwords off, and the default key-set refresh limit.
  sesami2 = await serve(['--db', join(dir, 'b.db'), '--port', String(ports.b), ...common,
    '--oidc-client-id', 'sesami-es', '--disable-password-login', '--test-oidc-jwks-refresh-ms', '3600000']);
});

after(async () => {
  await sesami?.stop();
  await sesami2?.stop();
  await provider?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/// Signs `login` in from a new browser up to the provider's redirect back to SESami; returns the
/// browser and the callback URL (code and state) it is about to open.
async function toCallback(server, login, returnTo) {
  state.login = login;
  const b = new Browser(tls.cert);
  const start = `${server.url}/auth/oidc/login${returnTo ? `?return=${encodeURIComponent(returnTo)}` : ''}`;
  const { next, res } = await b.follow(start, (u) => u.startsWith(`${server.url}/auth/oidc/callback`));
  assert.ok(next, `the provider did not redirect back: ${res.status} ${res.body}`);
  return { b, callback: next };
}

/// The whole round trip; returns the browser and SESami's last redirect.
async function signIn(server, login, returnTo) {
  const { b, callback } = await toCallback(server, login, returnTo);
  const res = await b.request(callback);
  assert.equal(res.status, 302);
  return { b, location: res.headers.location, res };
}

function sessionOf(b, server) { return b.cookies(new URL(server.url).origin).get('sesami_session'); }

async function json(b, url, opts) {
  const res = await b.request(url, opts);
  return { status: res.status, body: res.body ? JSON.parse(res.body) : null };
}

test('GET /auth/config names the provider and whether passwords work', async () => {
  const b = new Browser(tls.cert);
  const a = await json(b, `${sesami.url}/auth/config`);
  assert.deepEqual(a.body, { passwordLogin: true, oidc: { name: 'Test IdP', loginUrl: '/auth/oidc/login' } });
  const c = await json(b, `${sesami2.url}/auth/config`);
  assert.equal(c.body.passwordLogin, false);
});

test('the owner signs in through the provider: PKCE, state and nonce, a session like a password sign-in', async () => {
  const { b, callback } = await toCallback(sesami, 'owner', '/events?type=Bounce');
  // What SESami asked the provider for.
  const login = await new Browser(tls.cert).request(`${sesami.url}/auth/oidc/login`);
  const authz = new URL(login.headers.location);
  assert.equal(authz.origin, provider.issuer);
  assert.equal(authz.searchParams.get('code_challenge_method'), 'S256');
  assert.match(authz.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.ok(authz.searchParams.get('state').length >= 43);
  assert.ok(authz.searchParams.get('nonce').length >= 43);
  assert.match(login.headers['set-cookie'][0], /^sesami_oidc=sealed1:[^;]+; Path=\/auth\/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=600$/);

  const res = await b.request(callback);
  assert.equal(res.status, 302);
  assert.equal(res.headers.location, '/events?type=Bounce');
  const cookies = res.headers['set-cookie'].join('\n');
  assert.match(cookies, /sesami_session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict/);
  assert.match(cookies, /sesami_oidc=; Path=\/auth\/oidc;.*Max-Age=0/);
  const s = await json(b, `${sesami.url}/auth/session`);
  assert.equal(s.status, 200);
  assert.equal(s.body.workspace, 'default');
  assert.equal(s.body.role, 'owner');
  assert.equal(s.body.mustChangePassword, false, 'the provider proved who this is: no forced password change');
  // The one-time password printed at the first start is void now.
  const otp = sesami.out().match(/one-time password: (\S+)/)[1];
  const pw = await json(new Browser(), `${sesami.url}/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'admin@localhost', password: otp }) });
  assert.equal(pw.status, 401);
});

test('a return path elsewhere than this server becomes /', async () => {
  for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
    const { location } = await signIn(sesami, 'owner', evil);
    assert.equal(location, '/', evil);
  }
});

test('no invitation, no access: an unknown email gets no account and no session', async () => {
  const { b, location } = await signIn(sesami, 'stranger');
  assert.equal(location, '/?signin_error=oidc.no_access');
  assert.equal(sessionOf(b, sesami), undefined);
  const again = await signIn(sesami, 'stranger');
  assert.equal(again.location, '/?signin_error=oidc.no_access', 'nothing was created the first time');
});

test('an invited email joins its workspace at its first sign-in with the role it was invited to', async () => {
  const { b: owner } = await signIn(sesami, 'owner');
  const s = await json(owner, `${sesami.url}/auth/session`);
  const inv = await json(owner, `${sesami.url}/users`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.body.csrfToken },
    body: JSON.stringify({ email: 'invited@example.com', role: 'admin' }) });
  assert.equal(inv.status, 201);
  const { b, location } = await signIn(sesami, 'invited'); // the provider says Invited@Example.com
  assert.equal(location, '/');
  const me = await json(b, `${sesami.url}/auth/session`);
  assert.equal(me.status, 200);
  assert.deepEqual(me.body.workspaces, [{ id: 'default', role: 'admin' }]);
  const users = await json(owner, `${sesami.url}/users`);
  assert.ok(users.body.users.some((u) => u.email === 'invited@example.com' && u.status === 'active'));
});

test('the membership claim adds memberships in workspaces that exist, with the role it names', async () => {
  const { b: owner } = await signIn(sesami, 'owner');
  const { execFileSync } = await import('node:child_process');
  execFileSync(bin, ['workspace', 'create', 'billing', '--db', join(dir, 'a.db'), '--json']);
  const { b, location } = await signIn(sesami, 'grouped');
  assert.equal(location, '/');
  const me = await json(b, `${sesami.url}/auth/session`);
  assert.deepEqual(me.body.workspaces.map((w) => `${w.id}:${w.role}`).sort(), ['billing:admin']);
  assert.ok(owner);
});

test('an email the provider has not verified is refused', async () => {
  const { b, location } = await signIn(sesami, 'unverified');
  assert.equal(location, '/?signin_error=oidc.email_unverified');
  assert.equal(sessionOf(b, sesami), undefined);
});

test('a callback with another state, without the state cookie, or replayed is refused', async () => {
  // Another state than the one this browser's cookie holds (an attacker's own sign-in link).
  const { b, callback } = await toCallback(sesami, 'owner');
  const forged = new URL(callback);
  forged.searchParams.set('state', 'x'.repeat(43));
  const r1 = await b.request(forged.toString());
  assert.equal(r1.headers.location, '/?signin_error=oidc.bad_state');
  assert.equal(sessionOf(b, sesami), undefined);
  // The right callback in a browser that never started the sign-in (login CSRF).
  const victim = new Browser(tls.cert);
  const { callback: c2 } = await toCallback(sesami, 'owner');
  const r2 = await victim.request(c2);
  assert.equal(r2.headers.location, '/?signin_error=oidc.bad_state');
  assert.equal(sessionOf(victim, sesami), undefined);
  // A finished sign-in replayed with its old cookie.
  const { b: b3, callback: c3 } = await toCallback(sesami, 'owner');
  const stateCookie = b3.cookies(new URL(sesami.url).origin).get('sesami_oidc');
  const ok = await b3.request(c3);
  assert.equal(ok.headers.location, '/');
  const replay = new Browser(tls.cert);
  replay.cookies(new URL(sesami.url).origin).set('sesami_oidc', stateCookie);
  const r3 = await replay.request(c3);
  assert.equal(r3.headers.location, '/?signin_error=oidc.bad_state');
  assert.equal(sessionOf(replay, sesami), undefined);
});

test('a tampered ID token (claims edited after signing) is refused', async () => {
  state.tamper = (t) => editPayload(t, { email: 'admin@localhost', sub: 'owner' });
  const { b, location } = await signIn(sesami, 'stranger');
  assert.equal(location, '/?signin_error=oidc.bad_signature');
  assert.equal(sessionOf(b, sesami), undefined);
});

test('an ID token for another client (wrong audience) is refused', async () => {
  state.tamper = (t, k) => resign(t, k, { aud: 'another-client' });
  const { location } = await signIn(sesami, 'owner');
  assert.equal(location, '/?signin_error=oidc.bad_audience');
});

test('an expired ID token is refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  state.tamper = (t, k) => resign(t, k, { iat: now - 7200, exp: now - 3600 });
  const { location } = await signIn(sesami, 'owner');
  assert.equal(location, '/?signin_error=oidc.expired');
});

test('an ID token from another issuer, or for another sign-in (nonce), is refused', async () => {
  state.tamper = (t, k) => resign(t, k, { iss: 'https://evil.example' });
  assert.equal((await signIn(sesami, 'owner')).location, '/?signin_error=oidc.bad_issuer');
  state.tamper = (t, k) => resign(t, k, { nonce: 'another-sign-in' });
  assert.equal((await signIn(sesami, 'owner')).location, '/?signin_error=oidc.bad_nonce');
});

test('unsigned (alg none) and HMAC tokens signed with the client secret are refused', async () => {
  state.tamper = (t) => {
    const [, p] = t.split('.');
    return `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
  };
  assert.equal((await signIn(sesami, 'owner')).location, '/?signin_error=oidc.bad_alg');
  state.tamper = async (t) => {
    const claims = JSON.parse(Buffer.from(t.split('.')[1], 'base64url'));
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
  };
  assert.equal((await signIn(sesami, 'owner')).location, '/?signin_error=oidc.bad_alg');
});

test('ES256 ID tokens verify, and with passwords off the provider is the only way in', async () => {
  assert.match(sesami2.out(), /sign in with 127\.0\.0\.1 as admin@localhost/);
  assert.doesNotMatch(sesami2.out(), /one-time password/);
  const pw = await json(new Browser(), `${sesami2.url}/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'admin@localhost', password: 'whatever-it-is' }) });
  assert.equal(pw.status, 403);
  const { b, location } = await signIn(sesami2, 'owner');
  assert.equal(location, '/');
  const s = await json(b, `${sesami2.url}/auth/session`);
  assert.equal(s.body.role, 'owner');
});

test('a token naming an unknown key refreshes the key set at most once per interval', async () => {
  const before = provider.counts.jwks;
  const { generateKeyPair } = await import('jose');
  for (let i = 0; i < 2; i += 1) {
    state.tamper = async (t) => {
      const { privateKey } = await generateKeyPair('ES256');
      const claims = JSON.parse(Buffer.from(t.split('.')[1], 'base64url'));
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: `made-up-${i}` }).sign(privateKey);
    };
    assert.equal((await signIn(sesami2, 'owner')).location, '/?signin_error=oidc.unknown_key');
  }
  assert.equal(provider.counts.jwks - before, 0, 'within the interval, made-up kids fetch nothing');
});

test('the provider rotates its keys (restarted with a new key set): new sign-ins work', async () => {
  const { b: first } = await signIn(sesami, 'owner');
  assert.ok(sessionOf(first, sesami));
  const oldKids = keys.map((k) => k.kid);
  const port = provider.port;
  await provider.stop();
  keys = await makeKeys();
  provider = await startProvider({ tls, port, keys, accounts, clients: clients(), state });
  const fetches = provider.counts.jwks;
  const { b, location } = await signIn(sesami, 'owner');
  assert.equal(location, '/');
  assert.ok(sessionOf(b, sesami));
  assert.equal(provider.counts.jwks - fetches, 1, 'the unknown kid made SESami read the new key set once');
  assert.ok(!keys.some((k) => oldKids.includes(k.kid)));
  const again = await signIn(sesami, 'owner');
  assert.equal(again.location, '/');
  assert.equal(provider.counts.jwks - fetches, 1, 'known keys are served from the cache');
});

test('the issuer is fetched under the outbound-URL policy: loopback needs --allow-private-targets', async () => {
  const c = await serve(['--db', join(dir, 'c.db'), '--port', '0', '--oidc-issuer', provider.issuer,
    '--oidc-client-id', 'sesami', '--oidc-ca-file', tls.certFile]);
  try {
    const before = provider.counts.token;
    const res = await new Browser(tls.cert).request(`${c.url}/auth/oidc/login`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/?signin_error=oidc.unavailable');
    assert.match(c.err(), /loopback/);
    assert.equal(provider.counts.token, before);
  } finally {
    await c.stop();
  }
});
