import { describe, expect, it } from 'vitest';
import {
  detailText,
  isMachine,
  rowDetail,
  rowsCsv,
  safeLink,
  type EventRow,
} from '../../src/lib/event-text';
import { buildUrl, toApiError } from '../../src/lib/api';
import type { SesEvent } from '../../src/lib/types';

function event(patch: Partial<SesEvent>): SesEvent {
  return {
    id: 'x',
    messageId: 'm1',
    type: 'send',
    recipient: 'bob@x.com',
    timestamp: '2026-11-28T10:00:00.000Z',
    sentAt: null,
    sender: 's@me.com',
    subject: 'Hi',
    tags: {},
    configurationSet: '',
    source: { shape: 'ses', snsMessageId: null },
    ...patch,
  };
}
const bounce = event({
  type: 'bounce',
  bounce: {
    type: 'Permanent',
    subType: 'General',
    class: 'hard',
    status: '5.1.1',
    diagnosticCode: 'smtp; 550 5.1.1 user unknown',
    action: 'failed',
    reportingMTA: '',
    feedbackId: '',
  },
});
const click = event({
  type: 'click',
  click: {
    link: 'https://x.com/a',
    ipAddress: '',
    userAgent: '',
    linkTags: {},
    machine: true,
    machineReason: 'security-scanner',
  },
});

describe('event text', () => {
  it('says what happened', () => {
    expect(detailText(bounce)).toBe(
      'hard · Permanent/General — 5.1.1 — smtp; 550 5.1.1 user unknown',
    );
    expect(detailText(click)).toBe('https://x.com/a');
    expect(
      detailText(
        event({
          type: 'complaint',
          complaint: { feedbackType: 'abuse', subType: '', userAgent: '', feedbackId: '' },
        }),
      ),
    ).toBe('abuse');
    expect(
      detailText(
        event({
          type: 'delivery_delay',
          delay: {
            type: 'MailboxFull',
            expirationTime: null,
            status: '4.2.2',
            diagnosticCode: '',
            reportingMTA: '',
          },
        }),
      ),
    ).toBe('MailboxFull — 4.2.2');
  });
  it('flags machine opens and clicks', () => {
    expect(isMachine(click)).toBe(true);
    expect(isMachine(bounce)).toBe(false);
  });
  it('only links http(s) click targets', () => {
    expect(safeLink('https://x.com')).toBe('https://x.com');
    expect(safeLink('javascript:alert(1)')).toBeUndefined();
    expect(safeLink(undefined)).toBeUndefined();
  });
});

describe('table rows and their CSV', () => {
  const rows: EventRow[] = [
    {
      timestamp: '2026-11-28T11:00:00.000Z',
      type: 'click',
      recipient: 'a@y.com',
      messageId: 'm2',
      subject: 'Sale, today',
      sender: 's@me.com',
      machine: true,
      bounceClass: '',
      link: 'https://x.com/a',
    },
    {
      timestamp: '2026-11-28T10:00:00.000Z',
      type: 'bounce',
      recipient: 'bob@x.com',
      messageId: 'm1',
      subject: '=cmd',
      sender: 's@me.com',
      machine: false,
      bounceClass: 'hard',
      link: '',
    },
  ];
  it('details bounces by class and clicks by link', () => {
    expect(rowDetail(rows[0])).toBe('https://x.com/a');
    expect(rowDetail(rows[1])).toBe('hard bounce');
    expect(rowDetail({ ...rows[1], type: 'open' })).toBe('');
  });
  it('exports exactly the rows given, in order, quoted and defused', () => {
    const lines = rowsCsv(2, (i) => rows[i])
      .trimEnd()
      .split('\r\n');
    expect(lines).toEqual([
      'timestamp,type,recipient,messageId,subject,sender,detail,machine',
      '2026-11-28T11:00:00.000Z,click,a@y.com,m2,"Sale, today",s@me.com,https://x.com/a,yes',
      "2026-11-28T10:00:00.000Z,bounce,bob@x.com,m1,'=cmd,s@me.com,hard bounce,",
    ]);
  });
});

describe('api helpers', () => {
  it('builds query strings without empty values', () => {
    expect(buildUrl('/x', { a: '1', b: undefined, c: '' })).toBe('/x?a=1');
    expect(buildUrl('/x')).toBe('/x');
  });
  it('reads the server error body', async () => {
    const e = await toApiError(
      new Response(
        JSON.stringify({
          error: { code: 'auth.forbidden', message: 'viewers cannot', requestId: 'r1' },
        }),
        { status: 403 },
      ),
    );
    expect(e).toEqual({
      status: 403,
      code: 'auth.forbidden',
      message: 'viewers cannot',
      details: { requestId: 'r1' },
    });
    const t = await toApiError(
      new Response('upstream down', { status: 502, statusText: 'Bad Gateway' }),
    );
    expect(t).toEqual({ status: 502, code: 'http.502', message: 'upstream down' });
  });
});
