// How a suppression list sync with SES reads: what changed, in a sentence, and its problems.
import type { SyncChange, SyncRecord } from './suppression.api';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/// "Pulled 3 addresses from SES, pushed 1 to SES, removed 2 here." or "Nothing changed."
export function syncSummary(r: SyncRecord): string {
  const parts: string[] = [];
  if (r.pulled) parts.push(`pulled ${plural(r.pulled, 'address', 'addresses')} from SES`);
  if (r.pushed) parts.push(`pushed ${plural(r.pushed, 'address', 'addresses')} to SES`);
  if (r.removedLocal) parts.push(`removed ${plural(r.removedLocal, 'address', 'addresses')} here`);
  if (r.removedRemote)
    parts.push(`removed ${plural(r.removedRemote, 'address', 'addresses')} from SES`);
  const s = parts.length ? parts.join(', ') : 'nothing changed';
  return `${s[0].toUpperCase()}${s.slice(1)}.`;
}

/// One entry of a sync's "errors": a string, or an object with a message and maybe the address,
/// the operation ("list", "put", "delete", "credentials" ...) and a code.
export function syncErrorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    const str = (k: string) => (typeof o[k] === 'string' && o[k] ? (o[k] as string) : '');
    const msg = str('message') || JSON.stringify(o);
    const who = [
      str('address'),
      str('operation') && (str('address') ? `(${str('operation')})` : str('operation')),
    ]
      .filter(Boolean)
      .join(' ');
    return `${who ? `${who}: ` : ''}${msg}${str('code') ? ` (${str('code')})` : ''}`;
  }
  return String(e);
}

const CHANGE_TEXT: Record<string, string> = {
  pulled: 'added here (from SES)',
  pushed: 'added to SES',
  'removed-local': 'removed here',
  'removed-remote': 'removed from SES',
};
/// "a@x.com: added here (from SES), BOUNCE".
export function changeText(c: SyncChange): string {
  return `${c.address}: ${CHANGE_TEXT[c.change] ?? c.change}${c.reason ? `, ${c.reason}` : ''}`;
}
