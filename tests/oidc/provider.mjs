// A real OpenID provider on loopback: the npm package oidc-provider over HTTPS (a self-signed
// certificate made here with openssl, which `sesami serve --oidc-ca-file` trusts), with test
// accounts, programmatic login and consent (the interaction step a person does in a browser), a
// count of key-set fetches, and a "tamper" hook that swaps the ID token the token endpoint
// returns: re-signed with the provider's own private key but a wrong audience or an old expiry, or
// edited after signing, or unsigned. Everything started here is stopped by its handle.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';
import { SignJWT, exportJWK, generateKeyPair, importJWK, decodeJwt, decodeProtectedHeader } from 'jose';

/// A CA-less self-signed certificate for 127.0.0.1 (its own trust anchor).
export function makeCertificate(dir) {
  const key = join(dir, 'provider-key.pem');
  const cert = join(dir, 'provider-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert), certFile: cert };
}

/// A signing key set: one RS256 and one ES256 private JWK with fresh kids.
export async function makeKeys() {
  const out = [];
  for (const alg of ['RS256', 'ES256']) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(privateKey);
    out.push({ ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}` });
  }
  return out;
}

/// Starts the provider on `port` (0: any) with `keys`; `accounts` maps a login to its claims;
/// `state.login` is the account the next interaction signs in; `state.tamper(idToken, keys)`
/// may return another ID token for the next token response.
export async function startProvider({ tls, port = 0, keys, accounts, clients, state }) {
  const counts = { jwks: 0, token: 0 };
  let provider;
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (req.url.startsWith('/jwks')) counts.jwks += 1;
    if (req.url.startsWith('/interaction/')) return interact(provider, state, req, res);
    return provider.callback()(req, res);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const issuer = `https://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, {
    clients,
    jwks: { keys },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, ...accounts[id] }),
    }),
    claims: { openid: ['sub', 'cognito:groups'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false, // email in the ID token, as Cognito and Google put it
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    cookies: { keys: ['sesami-oidc-test-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    async renderError(ctx, out) { ctx.type = 'json'; ctx.body = out; },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
      counts.token += 1;
      const swap = state.tamper ? await state.tamper(ctx.body.id_token, keys) : undefined;
      state.tamper = undefined;
      if (swap) ctx.body = { ...ctx.body, id_token: swap };
    }
  });
  return {
    issuer,
    port: server.address().port,
    counts,
    stop: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

// The login and consent a person would do: sign in as state.login, grant openid and email.
async function interact(provider, state, req, res) {
  try {
    const details = await provider.interactionDetails(req, res);
    let result;
    if (details.prompt.name === 'login') {
      result = { login: { accountId: state.login } };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope('openid email');
      result = { consent: { grantId: await grant.save() } };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
}

/// The ID token's claims and header, re-signed with the provider's own private key of its alg.
export async function resign(idToken, keys, change) {
  const header = decodeProtectedHeader(idToken);
  const claims = { ...decodeJwt(idToken), ...change };
  const jwk = keys.find((k) => k.kid === header.kid);
  return new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid })
    .sign(await importJWK(jwk, header.alg));
}

/// The same token with its payload edited and the original signature kept.
export function editPayload(idToken, change) {
  const [h, , s] = idToken.split('.');
  const claims = { ...decodeJwt(idToken), ...change };
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
}
