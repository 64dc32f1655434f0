// The one HTTP client. Same origin as the app (sesami serve serves web/dist), session cookie sent
// automatically; state-changing requests carry the CSRF token the server handed out at sign-in.
// Failures come back as values: a page shows them, nothing throws past this file.
import type { ApiError, Result } from './types';

let csrfToken = '';
export function setCsrfToken(t: string | undefined): void {
  csrfToken = t ?? '';
}

/// The workspace requests are for (people in several workspaces switch in the header). Kept in
/// sessionStorage so a reload stays in the same workspace; empty: the server picks the first.
let workspace = (() => {
  try {
    return sessionStorage.getItem('sesami-workspace') ?? '';
  } catch {
    return '';
  }
})();
export function setWorkspace(id: string): void {
  workspace = id;
  try {
    sessionStorage.setItem('sesami-workspace', id);
  } catch {
    /* storage disabled */
  }
}

/// Called when any request answers 401, so the app can send the person to the sign-in screen.
let onUnauthorized: (() => void) | undefined;
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export interface RequestOptions {
  query?: URLSearchParams | Record<string, string | undefined>;
  body?: unknown; // JSON-encoded unless a string / Blob / ArrayBuffer
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>; // extra request headers (Idempotency-Key)
  signal?: AbortSignal;
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  let q = '';
  if (query instanceof URLSearchParams) q = query.toString();
  else if (query) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') p.set(k, v);
    q = p.toString();
  }
  return q ? `${path}?${q}` : path;
}

/// Reads an error body ({"error": {"code", "message", ...}} or {"code", "message"}) into an
/// ApiError; the error object's other fields (e.g. mail.all_suppressed's "suppressed") in details.
export async function toApiError(res: Response): Promise<ApiError> {
  let code = `http.${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: Record<string, unknown> | undefined;
  try {
    const text = await res.text();
    try {
      const j = JSON.parse(text);
      const e =
        j && typeof j === 'object' ? (j.error && typeof j.error === 'object' ? j.error : j) : {};
      if (typeof e.code === 'string') code = e.code;
      if (typeof e.message === 'string') message = e.message;
      else if (typeof j.error === 'string') message = j.error;
      const rest = Object.entries(e).filter(([k]) => k !== 'code' && k !== 'message');
      if (rest.length) details = Object.fromEntries(rest);
    } catch {
      if (text.trim()) message = text.trim().slice(0, 300);
    }
  } catch {
    /* keep the status line */
  }
  return details
    ? { status: res.status, code, message, details }
    : { status: res.status, code, message };
}

export async function request(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<Result<Response>> {
  const headers: Record<string, string> = {
    ...opts.headers,
    Accept: opts.accept ?? 'application/json',
  };
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    if (
      typeof opts.body === 'string' ||
      opts.body instanceof Blob ||
      opts.body instanceof ArrayBuffer
    ) {
      body = opts.body as BodyInit;
      if (opts.contentType) headers['Content-Type'] = opts.contentType;
    } else {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
    }
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (workspace) headers['X-Sesami-Workspace'] = workspace;
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError')
      return { ok: false, error: { status: 0, code: 'aborted', message: 'cancelled' } };
    return {
      ok: false,
      error: {
        status: 0,
        code: 'network',
        message: `cannot reach the server: ${(e as Error).message}`,
      },
    };
  }
  if (!res.ok) {
    const error = await toApiError(res);
    // 401 means the session is gone, except for a wrong password typed on a live session (the
    // current password when changing it): that is the form's error, not a reason to sign out.
    if (
      res.status === 401 &&
      onUnauthorized &&
      !path.startsWith('/auth/login') &&
      error.code !== 'auth.bad_credentials'
    )
      onUnauthorized();
    return { ok: false, error };
  }
  return { ok: true, value: res };
}

export async function json<T>(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<Result<T>> {
  const r = await request(method, path, opts);
  if (!r.ok) return r;
  if (r.value.status === 204) return { ok: true, value: undefined as T };
  const text = await r.value.text();
  if (!text) return { ok: true, value: undefined as T };
  try {
    return { ok: true, value: JSON.parse(text) as T };
  } catch {
    return {
      ok: false,
      error: {
        status: r.value.status,
        code: 'bad_response',
        message: 'the server answered something that is not JSON',
      },
    };
  }
}

export async function text(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<Result<string>> {
  const r = await request(method, path, opts);
  if (!r.ok) return r;
  return { ok: true, value: await r.value.text() };
}
