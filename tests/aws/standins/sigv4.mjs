// An independent AWS Signature Version 4 verifier for the test stand-ins: it recomputes the
// canonical request from the HTTP request as received (method, path, query, headers, body) and
// compares signatures, the way AWS does. Deliberately written from the SigV4 specification, not
// shared with the C++ signer, so a bug in one cannot hide in the other.
//
// Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// Canonical URI as AWS computes it for every service but S3: the path as sent (already
// percent-encoded once) is normalised (. and .. segments removed) and URI-encoded once more,
// segment by segment — so '%40' on the wire becomes '%2540' in the canonical request.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const MAX_SKEW_MS = 5 * 60 * 1000;

const sha256hex = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ becomes %XX (upper). */
export function uriEncode(str, keepSlash = false) {
  const bytes = Buffer.from(str, 'utf8');
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function decodeComponent(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

/** The canonical URI of a wire path (non-S3 rules: normalised, then encoded again). */
export function canonicalUri(wirePath) {
  const segments = wirePath.split('/');
  const out = [];
  for (let i = 0; i < segments.length; ++i) {
    const s = segments[i];
    if (s === '.') continue;
    if (s === '..') {
      if (out.length > 1) out.pop();
      continue;
    }
    out.push(s);
  }
  let path = out.join('/');
  if (!path.startsWith('/')) path = '/' + path;
  // Keep a trailing slash the request had ("/a/." and "/a/" both end in a directory).
  if ((wirePath.endsWith('/.') || wirePath.endsWith('/..')) && !path.endsWith('/')) path += '/';
  return path.split('/').map((seg) => uriEncode(seg)).join('/');
}

/** The canonical query string: decoded pairs, re-encoded, sorted by key then value. */
export function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  const pairs = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    // '+' in a query is a literal plus for SigV4 purposes only when encoded; AWS decodes %XX.
    const dk = decodeURIComponentSafe(k);
    const dv = decodeURIComponentSafe(v);
    if (dk === 'X-Amz-Signature') continue;
    pairs.push([uriEncode(dk), uriEncode(dv)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}
function decodeURIComponentSafe(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Header values by lower-case name, every occurrence kept in order (from Node's rawHeaders). */
export function headerLists(rawHeaders) {
  const h = new Map();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!h.has(name)) h.set(name, []);
    h.get(name).push(rawHeaders[i + 1]);
  }
  return h;
}

const trimValue = (v) => v.trim().replace(/ +/g, ' ');

export function canonicalRequest({ method, path, query, headers, signedHeaders, payloadHash }) {
  const lines = signedHeaders.map((name) => `${name}:${(headers.get(name) || []).map(trimValue).join(',')}\n`);
  return [method, canonicalUri(path), canonicalQuery(query), lines.join(''), signedHeaders.join(';'), payloadHash].join('\n');
}

export function signingKey(secret, date, region, service) {
  const kDate = hmac('AWS4' + secret, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(value) {
  if (!value) return { error: 'missing' };
  const sp = value.indexOf(' ');
  const alg = sp < 0 ? value : value.slice(0, sp);
  if (alg !== ALGORITHM) return { error: 'algorithm', algorithm: alg };
  const fields = {};
  for (const part of value.slice(sp + 1).split(',')) {
    const p = part.trim();
    const eq = p.indexOf('=');
    if (eq > 0) fields[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !fields[k]);
  if (missing.length) return { error: 'incomplete', missing };
  const scope = fields.Credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') return { error: 'credential', credential: fields.Credential };
  const [accessKeyId, date, region, service] = scope;
  return {
    accessKeyId, date, region, service,
    scope: scope.slice(1).join('/'),
    signedHeaders: fields.SignedHeaders.split(';'),
    signature: fields.Signature,
  };
}

/** X-Amz-Date (20150830T123600Z) to ms since epoch, or NaN. */
export function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

const fail = (status, code, message) => ({ ok: false, status, code, message });

/**
 * Verifies one request. `req`: {method, path, query, rawHeaders, body (Buffer)}.
 * `lookup(accessKeyId)` → {secretAccessKey, sessionToken?, expiresAt? (ms), accountId, arn} | undefined.
 * Returns {ok: true, principal, service, region} or {ok: false, status, code, message} where
 * code is one of IncompleteSignature, SignatureDoesNotMatch, InvalidClientTokenId,
 * RequestExpired, ExpiredToken (the services render it in their own error format).
 */
export function verify(req, { lookup, region, now = Date.now(), services }) {
  const headers = headerLists(req.rawHeaders);
  const authValues = headers.get('authorization') || [];
  const auth = parseAuthorization(authValues[0]);
  if (auth.error === 'missing')
    return fail(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  if (auth.error === 'algorithm')
    return fail(400, 'IncompleteSignature', `Unsupported AWS 'algorithm': '${auth.algorithm}'`);
  if (auth.error === 'incomplete')
    return fail(400, 'IncompleteSignature',
      auth.missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ') +
        ` Authorization=${authValues[0]}`);
  if (auth.error === 'credential')
    return fail(400, 'IncompleteSignature', `Authorization header requires a valid Credential: ${auth.credential}`);

  const amzDate = (headers.get('x-amz-date') || [])[0];
  if (!amzDate)
    return fail(400, 'IncompleteSignature', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  const t = parseAmzDate(amzDate);
  if (Number.isNaN(t)) return fail(400, 'IncompleteSignature', `X-Amz-Date '${amzDate}' is not in the format yyyyMMdd'T'HHmmss'Z'`);
  if (!auth.signedHeaders.includes('host'))
    return fail(400, 'IncompleteSignature', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  if (!auth.signedHeaders.includes('x-amz-date'))
    return fail(400, 'IncompleteSignature', "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
  for (const h of auth.signedHeaders)
    if (!headers.has(h)) return fail(400, 'IncompleteSignature', `Signed header '${h}' is not present in the request.`);

  const cred = lookup(auth.accessKeyId);
  if (!cred) return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  const token = (headers.get('x-amz-security-token') || [])[0];
  if (cred.sessionToken !== undefined) {
    if (token !== cred.sessionToken)
      return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  } else if (token !== undefined) {
    return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  }

  if (Math.abs(now - t) > MAX_SKEW_MS) {
    const iso = (ms) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
    return fail(400, 'RequestExpired',
      `Signature expired: ${amzDate} is now earlier than ${iso(now - MAX_SKEW_MS)} (${iso(now)} - 5 min.)`);
  }
  if (auth.date !== amzDate.slice(0, 8))
    return fail(403, 'SignatureDoesNotMatch', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}'`);
  if (region && auth.region !== region)
    return fail(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${auth.region}'.`);
  if (services && !services.includes(auth.service))
    return fail(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: '${services[0]}'.`);

  const canonical = canonicalRequest({
    method: req.method, path: req.path, query: req.query, headers,
    signedHeaders: auth.signedHeaders, payloadHash: sha256hex(req.body || Buffer.alloc(0)),
  });
  const stringToSign = [ALGORITHM, amzDate, auth.scope, sha256hex(canonical)].join('\n');
  const expected = createHmac('sha256', signingKey(cred.secretAccessKey, auth.date, auth.region, auth.service))
    .update(stringToSign).digest('hex');
  const given = Buffer.from(auth.signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected, 'utf8')))
    return {
      ...fail(403, 'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'),
      canonicalRequest: canonical, stringToSign,
    };
  // Checked after the signature, as AWS does: only a genuine holder of the key learns it expired.
  if (cred.expiresAt !== undefined && now >= cred.expiresAt)
    return fail(403, 'ExpiredToken', 'The security token included in the request is expired');
  return { ok: true, principal: cred, service: auth.service, region: auth.region, accessKeyId: auth.accessKeyId };
}

/** Signs a request the same way (used by the stand-ins' own tests and by tests that feed SQS). */
export function sign({ method, url, headers = {}, body = '', accessKeyId, secretAccessKey, sessionToken, region, service, now = Date.now() }) {
  const u = new URL(url);
  const amzDate = new Date(now).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const h = { ...headers, host: u.host, 'x-amz-date': amzDate };
  if (sessionToken) h['x-amz-security-token'] = sessionToken;
  const lower = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), [String(v)]]));
  const signedHeaders = [...lower.keys()].sort();
  const canonical = canonicalRequest({
    method, path: u.pathname, query: u.search.slice(1), headers: lower, signedHeaders,
    payloadHash: sha256hex(body),
  });
  const scope = `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
  const sts = [ALGORITHM, amzDate, scope, sha256hex(canonical)].join('\n');
  const sig = createHmac('sha256', signingKey(secretAccessKey, amzDate.slice(0, 8), region, service)).update(sts).digest('hex');
  h.authorization = `${ALGORITHM} Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${sig}`;
  return h;
}
