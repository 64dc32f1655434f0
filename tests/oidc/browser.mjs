// A minimal browser over HTTP: a cookie jar per origin (Max-Age=0 deletes), redirects followed
// by hand so a test can stop at any hop, the provider's self-signed certificate trusted.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export class Browser {
  constructor(ca) {
    this.ca = ca;
    this.jar = new Map(); // origin → Map(name → value)
  }

  cookies(origin) {
    if (!this.jar.has(origin)) this.jar.set(origin, new Map());
    return this.jar.get(origin);
  }

  /// One request; stores its cookies. Returns { status, headers, body, url }.
  async request(url, { method = 'GET', headers = {}, body } = {}) {
    const u = new URL(url);
    const jar = this.cookies(u.origin);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const res = await new Promise((resolve, reject) => {
      const req = send(u, {
        method,
        ca: this.ca,
        headers: { ...(cookie ? { Cookie: cookie } : {}), ...headers },
      }, (r) => {
        let data = '';
        r.setEncoding('utf8');
        r.on('data', (d) => { data += d; });
        r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: data, url }));
      });
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
    for (const line of res.headers['set-cookie'] ?? []) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (gone) jar.delete(name); else jar.set(name, value);
    }
    return res;
  }

  /// Follows redirects from `url` until `stop(url)` says so (or a non-redirect answer).
  /// Returns the last response and the URL it would go to next (`next`).
  async follow(url, stop = () => false) {
    let current = url;
    for (let hop = 0; hop < 20; hop += 1) {
      const res = await this.request(current);
      if (res.status < 300 || res.status >= 400 || !res.headers.location) return { res, next: null };
      const next = new URL(res.headers.location, current).toString();
      if (stop(next)) return { res, next };
      current = next;
    }
    throw new Error(`too many redirects from ${url}`);
  }
}
