import { describe, expect, it } from 'vitest';
import {
  checkCompose,
  parseTags,
  plausibleAddress,
  splitAddresses,
  MAX_RECIPIENTS,
  type ComposeForm,
} from '../../src/modules/send/compose';
import { ComposeKey, newIdempotencyKey, outcomeOf } from '../../src/modules/send/idempotency';
import {
  progress,
  sortEvents,
  watchPhase,
  SETTLE_MS,
  WATCH_TIMEOUT_MS,
} from '../../src/modules/send/watch';
import { toApiError } from '../../src/lib/api';
import type { ApiError, SesEvent } from '../../src/lib/types';

const form = (over: Partial<ComposeForm> = {}): ComposeForm => ({
  from: 'sender@example.com',
  to: 'bounce@simulator.amazonses.com',
  cc: '',
  bcc: '',
  subject: 'Hi',
  text: 'Hello',
  html: '',
  tags: '',
  correlationId: '',
  template: '',
  templateData: '{}',
  ...over,
});

describe('compose form', () => {
  it('accepts what the server accepts as an address, nothing else', () => {
    for (const a of ['a@b.co', 'first.last+tag@sub.example.com', 'x@simulator.amazonses.com'])
      expect(plausibleAddress(a), a).toBe(true);
    for (const a of [
      '',
      'a',
      '@b.com',
      'a@',
      'a@b',
      'a@b.',
      'a@@b.com',
      'a b@c.com',
      'Ann <a@b.com>',
      'a,b@c.com',
      '"a"@b.com',
      'a@.com',
    ])
      expect(plausibleAddress(a), a).toBe(false);
  });

  it('splits recipient lists on commas, semicolons and new lines, dropping duplicates', () => {
    expect(splitAddresses(' a@x.com, b@y.com;\nc@z.com  A@X.com,, ')).toEqual([
      'a@x.com',
      'b@y.com',
      'c@z.com',
    ]);
    expect(splitAddresses('  ')).toEqual([]);
  });

  it('builds the POST /mail body, leaving out what is empty', () => {
    const c = checkCompose(
      form({
        to: 'a@x.com, b@y.com',
        cc: 'c@z.com',
        html: '<p>Hi</p>',
        tags: 'campaign=welcome\nvariant=b',
        correlationId: '  order-42 ',
      }),
    );
    expect(c).toEqual({
      ok: true,
      request: {
        from: 'sender@example.com',
        to: ['a@x.com', 'b@y.com'],
        cc: ['c@z.com'],
        subject: 'Hi',
        text: 'Hello',
        html: '<p>Hi</p>',
        tags: { campaign: 'welcome', variant: 'b' },
        correlationId: 'order-42',
      },
    });
    const plain = checkCompose(form());
    expect(plain.ok && Object.keys(plain.request).sort()).toEqual([
      'from',
      'subject',
      'text',
      'to',
    ]);
  });

  it('sends a stored template by name with its data, instead of subject and bodies', () => {
    const c = checkCompose(
      form({ subject: '', text: '', template: 'receipt', templateData: '{"name":"Ann"}' }),
    );
    expect(c).toEqual({
      ok: true,
      request: {
        from: 'sender@example.com',
        to: ['bounce@simulator.amazonses.com'],
        template: 'receipt',
        templateData: { name: 'Ann' },
      },
    });
    const bad = checkCompose(form({ template: 'receipt', templateData: '[1]' }));
    expect(!bad.ok && Object.keys(bad.errors)).toEqual(['templateData']);
    const broken = checkCompose(form({ template: 'receipt', templateData: '{' }));
    expect(!broken.ok && broken.errors.templateData).toMatch(/^Not JSON/);
  });

  it('names every wrong field at once', () => {
    const c = checkCompose(
      form({
        from: 'nobody',
        to: '',
        cc: 'x@y.com, broken',
        subject: ' ',
        text: ' ',
        html: '',
        tags: 'a=b=c',
        correlationId: 'x'.repeat(257),
      }),
    );
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(Object.keys(c.errors).sort()).toEqual([
      'cc',
      'correlationId',
      'from',
      'subject',
      'tags',
      'text',
      'to',
    ]);
    expect(c.errors.cc).toContain('broken');
    expect(c.errors.to).toBe('At least one recipient.');
  });

  it('keeps to SES limits: 50 recipients, tag syntax, no duplicate tags', () => {
    const many = Array.from({ length: MAX_RECIPIENTS }, (_, i) => `r${i}@x.com`);
    expect(checkCompose(form({ to: many.join(',') })).ok).toBe(true);
    const over = checkCompose(form({ to: many.join(','), bcc: 'one-more@x.com' }));
    expect(!over.ok && over.errors.to).toMatch(/51 recipients/);
    expect(parseTags('a=1, b=two').tags).toEqual({ a: '1', b: 'two' });
    expect(parseTags('novalue').error).toMatch(/name=value/);
    expect(parseTags('a=1,a=2').error).toMatch(/twice/);
    expect(parseTags('sp ace=x').error).toMatch(/letters, digits/);
    expect(parseTags('').tags).toEqual({});
    const corr = checkCompose(form({ correlationId: 'order 42' }));
    expect(!corr.ok && corr.errors.correlationId).toMatch(/letters, digits/i);
  });
});

const err = (status: number, code = 'x'): { ok: false; error: ApiError } => ({
  ok: false,
  error: { status, code, message: '' },
});

describe('idempotency key lifecycle', () => {
  let n = 0;
  const keys = () => new ComposeKey(() => `k${++n}`);

  it('makes 128-bit hex keys, a different one each time', () => {
    const a = newIdempotencyKey();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newIdempotencyKey()).not.toBe(a);
    expect(newIdempotencyKey((b) => b.fill(0xab))).toBe('ab'.repeat(16));
  });

  it('sends nothing for a second submit while the first is in flight (double click)', () => {
    const k = keys();
    const first = k.begin('mail');
    expect(first).not.toBeNull();
    expect(k.busy).toBe(true);
    expect(k.begin('mail')).toBeNull();
    k.settle('sent');
    expect(k.busy).toBe(false);
  });

  it('reuses the key for the same mail after a send or a lost answer, so the server replays it', () => {
    const k = keys();
    const a = k.begin('mail');
    k.settle('unknown');
    expect(k.begin('mail')).toBe(a);
    k.settle('sent');
    expect(k.begin('mail')).toBe(a);
    k.settle('sent');
  });

  it('takes a new key for different content, after a refusal, and for a new message', () => {
    const k = keys();
    const a = k.begin('mail');
    k.settle('sent');
    const b = k.begin('edited mail');
    k.settle('refused');
    expect(b).not.toBe(a);
    const c = k.begin('edited mail'); // nothing was sent: a new attempt
    expect(c).not.toBe(b);
    k.settle('sent');
    k.reset();
    expect(k.begin('edited mail')).not.toBe(c);
  });

  it('classifies answers: sent, refused (4xx), unknown (network, 409, 429, 5xx)', () => {
    expect(outcomeOf({ ok: true, value: {} })).toBe('sent');
    for (const s of [400, 401, 403, 404, 422]) expect(outcomeOf(err(s)), String(s)).toBe('refused');
    for (const s of [0, 408, 409, 429, 500, 502, 503])
      expect(outcomeOf(err(s)), String(s)).toBe('unknown');
    expect(outcomeOf(err(502, 'mail.not_authorized'))).toBe('refused'); // the role may not send: nothing went out
  });
});

const ev = (
  type: SesEvent['type'],
  timestamp: string,
  recipient: string | null,
  extra: Partial<SesEvent> = {},
): SesEvent =>
  ({
    id: `${type}-${timestamp}-${recipient}`,
    messageId: 'm1',
    type,
    recipient,
    timestamp,
    sentAt: null,
    sender: 's@x.com',
    subject: 'Hi',
    tags: {},
    configurationSet: '',
    source: { shape: 'ses', snsMessageId: null },
    ...extra,
  }) as SesEvent;

describe('watching a sent message', () => {
  const to = ['bounce@simulator.amazonses.com', 'complaint@simulator.amazonses.com'];

  it('orders events oldest first, Send before its outcome at the same instant', () => {
    const t = '2026-11-28T10:00:00.000Z';
    const s = sortEvents([
      ev('delivery', t, to[1]),
      ev('send', t, to[1]),
      ev('bounce', '2026-11-28T09:00:00.000Z', to[0]),
    ]);
    expect(s.map((e) => e.type)).toEqual(['bounce', 'send', 'delivery']);
  });

  it('follows each recipient: sent, then the most telling outcome', () => {
    const t = (s: number) => `2026-11-28T10:00:0${s}.000Z`;
    expect(progress(to, []).map((p) => [p.sent, p.outcome])).toEqual([
      [false, null],
      [false, null],
    ]);
    // SES's Send event may name no recipient: it is for all of them.
    let p = progress(to, [ev('send', t(0), null)]);
    expect(p.every((x) => x.sent && x.outcome === null)).toBe(true);
    p = progress(to, [
      ev('send', t(0), null),
      ev('bounce', t(1), to[0], {
        bounce: { class: 'hard', type: 'Permanent', subType: 'General' } as SesEvent['bounce'],
      }),
      ev('delivery', t(1), to[1]),
      ev('complaint', t(2), to[1], {
        complaint: { feedbackType: 'abuse' } as SesEvent['complaint'],
      }),
    ]);
    expect(p.map((x) => [x.recipient, x.outcome, x.final, x.detail])).toEqual([
      [to[0], 'bounce', true, 'hard bounce · General'],
      [to[1], 'complaint', true, 'abuse'],
    ]);
  });

  it('stops when every recipient has a final outcome, or a while after deliveries, or at the timeout', () => {
    const t0 = 1_000_000;
    const none = progress(to, []);
    expect(watchPhase(none, 1000, null, t0)).toBe('waiting');
    expect(watchPhase(none, WATCH_TIMEOUT_MS, null, t0)).toBe('timeout');
    const delivered = progress(
      ['success@simulator.amazonses.com'],
      [ev('delivery', '2026-11-28T10:00:00.000Z', 'success@simulator.amazonses.com')],
    );
    expect(watchPhase(delivered, 2000, t0, t0 + 1000)).toBe('settling');
    expect(watchPhase(delivered, 2000, t0, t0 + SETTLE_MS)).toBe('done');
    const bounced = progress(
      ['bounce@simulator.amazonses.com'],
      [ev('bounce', '2026-11-28T10:00:00.000Z', 'bounce@simulator.amazonses.com')],
    );
    expect(watchPhase(bounced, 10, null, t0)).toBe('done');
    const delayed = progress(
      ['a@x.com'],
      [ev('delivery_delay', '2026-11-28T10:00:00.000Z', 'a@x.com')],
    );
    expect(watchPhase(delayed, 10, null, t0)).toBe('waiting');
  });
});

describe('API errors', () => {
  it("keeps an error body's extra fields, like the suppressed recipients of mail.all_suppressed", async () => {
    const body = {
      error: {
        code: 'mail.all_suppressed',
        message: 'every recipient is suppressed',
        suppressed: [{ address: 'a@x.com', reason: 'bounce' }],
      },
    };
    const e = await toApiError(new Response(JSON.stringify(body), { status: 422 }));
    expect(e).toEqual({
      status: 422,
      code: 'mail.all_suppressed',
      message: 'every recipient is suppressed',
      details: { suppressed: [{ address: 'a@x.com', reason: 'bounce' }] },
    });
    expect(
      await toApiError(new Response('{"error":{"code":"a.b","message":"m"}}', { status: 400 })),
    ).toEqual({ status: 400, code: 'a.b', message: 'm' });
  });
});
