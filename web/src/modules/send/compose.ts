// The compose form's rules: what a person typed → the POST /mail body, or a message per field.
// Checked here so mistakes show next to the field at once; the server checks the same again.
import type { SendRequest } from './send.api';

export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
/// The SES mailbox simulator's addresses and what each one produces.
export const SIMULATOR_PRESETS: readonly { address: string; outcome: string }[] = [
  { address: `success@${SIMULATOR_DOMAIN}`, outcome: 'Delivery' },
  { address: `bounce@${SIMULATOR_DOMAIN}`, outcome: 'hard Bounce' },
  { address: `ooto@${SIMULATOR_DOMAIN}`, outcome: 'Delivery + out-of-office reply' },
  { address: `complaint@${SIMULATOR_DOMAIN}`, outcome: 'Delivery + Complaint' },
  {
    address: `suppressionlist@${SIMULATOR_DOMAIN}`,
    outcome: 'Bounce (on the SES suppression list)',
  },
];

/// SES accepts at most 50 recipients (To + Cc + Bcc) per message.
export const MAX_RECIPIENTS = 50;
export const MAX_CORRELATION_ID = 256;
/// SES message tag names and values: ASCII letters, digits, '_' and '-', up to 256 characters.
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;

export interface ComposeForm {
  from: string;
  to: string; // addresses separated by commas, semicolons, spaces or new lines
  cc: string;
  bcc: string;
  subject: string;
  text: string;
  html: string;
  tags: string; // name=value, one per line or comma-separated
  correlationId: string;
  template: string; // a stored template's name: sent instead of subject / text / html
  templateData: string; // its variables as a JSON object
}
export type ComposeField = keyof ComposeForm;
export type ComposeErrors = Partial<Record<ComposeField, string>>;
export type ComposeCheck =
  | { ok: true; request: SendRequest }
  | { ok: false; errors: ComposeErrors };

/// The same test as the server's (app::plausible_address): one '@', a dotted domain, no spaces,
/// commas or quotes. Display names ("Ann <a@b.com>") are not accepted by the API.
export function plausibleAddress(a: string): boolean {
  const at = a.indexOf('@');
  if (at <= 0 || at + 1 >= a.length || a.indexOf('@', at + 1) >= 0) return false;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c <= 32 || c === 0x7f || a[i] === ',' || a[i] === '"') return false;
  }
  const domain = a.slice(at + 1);
  const dot = domain.indexOf('.');
  return dot > 0 && !domain.endsWith('.');
}

/// "a@x.com, b@y.com\nc@z.com" → ["a@x.com", "b@y.com", "c@z.com"]; duplicates dropped
/// (case-insensitively), order kept.
export function splitAddresses(s: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const a of s.split(/[\s,;]+/)) {
    if (!a) continue;
    const k = a.toLowerCase();
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(a);
  }
  return out;
}

function checkList(s: string, required: boolean): { list: string[]; error?: string } {
  const list = splitAddresses(s);
  if (!list.length) return { list, error: required ? 'At least one recipient.' : undefined };
  const bad = list.filter((a) => !plausibleAddress(a));
  if (bad.length)
    return {
      list,
      error: `Not an email address: ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}`,
    };
  return { list };
}

/// "campaign=welcome, variant=b" (or one per line) → { campaign: "welcome", variant: "b" }.
export function parseTags(s: string): { tags: Record<string, string>; error?: string } {
  const tags: Record<string, string> = {};
  for (const raw of s.split(/[\n,]+/)) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq < 0) return { tags, error: `"${item}": write name=value.` };
    const name = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (!TAG_PART.test(name) || !TAG_PART.test(value))
      return {
        tags,
        error: `"${item}": names and values use letters, digits, _ and - only (SES message tags).`,
      };
    if (Object.prototype.hasOwnProperty.call(tags, name))
      return { tags, error: `Tag "${name}" given twice.` };
    tags[name] = value;
  }
  return { tags };
}

export function checkCompose(f: ComposeForm): ComposeCheck {
  const errors: ComposeErrors = {};
  const from = f.from.trim();
  if (!from) errors.from = 'The sender: a verified SES identity.';
  else if (!plausibleAddress(from)) errors.from = 'Not an email address.';
  const to = checkList(f.to, true);
  const cc = checkList(f.cc, false);
  const bcc = checkList(f.bcc, false);
  if (to.error) errors.to = to.error;
  if (cc.error) errors.cc = cc.error;
  if (bcc.error) errors.bcc = bcc.error;
  const total = to.list.length + cc.list.length + bcc.list.length;
  if (!errors.to && total > MAX_RECIPIENTS)
    errors.to = `${total} recipients: SES takes at most ${MAX_RECIPIENTS} per message (To, Cc and Bcc together).`;
  const template = f.template.trim();
  let templateData: Record<string, unknown> | undefined;
  if (template) {
    try {
      const v: unknown = JSON.parse(f.templateData.trim() || '{}');
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        errors.templateData = 'A JSON object: {"name": "Ann"}.';
      else templateData = v as Record<string, unknown>;
    } catch (e) {
      errors.templateData = `Not JSON: ${(e as Error).message}`;
    }
  } else {
    if (!f.subject.trim()) errors.subject = 'A subject.';
    if (!f.text.trim() && !f.html.trim()) errors.text = 'A text or an HTML body (or both).';
  }
  const tags = parseTags(f.tags);
  if (tags.error) errors.tags = tags.error;
  // It travels as an SES message tag value, so the same rules.
  const correlationId = f.correlationId.trim();
  if (correlationId.length > MAX_CORRELATION_ID)
    errors.correlationId = `At most ${MAX_CORRELATION_ID} characters.`;
  else if (correlationId && !TAG_PART.test(correlationId))
    errors.correlationId = 'Letters, digits, _ and - only (it travels as an SES message tag).';
  if (Object.keys(errors).length) return { ok: false, errors };

  const request: SendRequest = template
    ? { from, to: to.list, template, templateData }
    : { from, to: to.list, subject: f.subject.trim() };
  if (cc.list.length) request.cc = cc.list;
  if (bcc.list.length) request.bcc = bcc.list;
  if (!template && f.text.trim()) request.text = f.text;
  if (!template && f.html.trim()) request.html = f.html;
  if (Object.keys(tags.tags).length) request.tags = tags.tags;
  if (correlationId) request.correlationId = correlationId;
  return { ok: true, request };
}
