// A small hash router. The app's routes live in the URL hash (#/events?status=bounced) so that no
// page path collides with an API path (GET /events is the API; #/events is the page), reloading
// works without server rewrites, and the query string carries shareable view state.
import { createSignal } from 'solid-js';

export interface Location {
  path: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Location {
  const h = hash.replace(/^#/, '') || '/';
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  return {
    path: path.startsWith('/') ? path : `/${path}`,
    params: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)),
  };
}

export function formatHash(path: string, params?: URLSearchParams): string {
  const q = params?.toString();
  return `#${path}${q ? `?${q}` : ''}`;
}

/// Matches "/recipients/:address" against "/recipients/bob%40x.com" → { address: "bob@x.com" }.
export function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/');
  const xs = path.split('/');
  if (ps.length !== xs.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) {
      if (!xs[i]) return null;
      try {
        out[ps[i].slice(1)] = decodeURIComponent(xs[i]);
      } catch {
        return null;
      }
    } else if (ps[i] !== xs[i]) return null;
  }
  return out;
}

const [location, setLocation] = createSignal<Location>(
  parseHash(typeof window === 'undefined' ? '' : window.location.hash),
);
if (typeof window !== 'undefined')
  window.addEventListener('hashchange', () => setLocation(parseHash(window.location.hash)));

export { location };

/// Goes to a page. `replace` for view-state changes (typing in a filter) so Back leaves the page
/// instead of undoing keystrokes.
export function navigate(path: string, params?: URLSearchParams, replace = false): void {
  const hash = formatHash(path, params);
  if (replace) {
    history.replaceState(history.state, '', hash);
    setLocation(parseHash(hash));
  } else {
    window.location.hash = hash;
  }
}

export function href(path: string, params?: URLSearchParams): string {
  return formatHash(path, params);
}
