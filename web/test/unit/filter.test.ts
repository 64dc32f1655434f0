import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VIEW,
  normalizeRecipientQuery,
  parseView,
  serializeView,
  toFilter,
  viewRange,
} from '../../src/lib/filter';

const NOW = Date.parse('2026-11-28T12:00:00.000Z');

describe('view state in the URL', () => {
  it('round-trips every field', () => {
    const v = {
      ...DEFAULT_VIEW,
      preset: 'custom' as const,
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T00:00:00.000Z',
      status: ['delivered' as const, 'bounced' as const],
      type: ['bounce' as const],
      recipient: '@example.com',
      messageId: 'abc',
      tag: 'campaign=x',
      machine: 'exclude' as const,
    };
    expect(parseView(serializeView(v))).toEqual(v);
  });
  it('leaves defaults out of the URL', () => {
    expect(serializeView(DEFAULT_VIEW).toString()).toBe('');
  });
  it('drops unknown values and duplicates, and orders lists as the core does', () => {
    const v = parseView(
      new URLSearchParams('status=bounced,nonsense,sent&status=sent&type=click,open&machine=maybe'),
    );
    expect(v.status).toEqual(['sent', 'bounced']);
    expect(v.type).toEqual(['open', 'click']);
    expect(v.machine).toBe('include');
  });
  it('makes a range with from/to custom, and ignores invalid dates', () => {
    expect(parseView(new URLSearchParams('from=2026-01-01T00:00:00Z')).preset).toBe('custom');
    const bad = parseView(new URLSearchParams('range=custom&from=yesterday'));
    expect(bad.preset).toBe('7d');
    expect(bad.from).toBeUndefined();
  });
  it('keeps presets relative to now', () => {
    const r = viewRange({ ...DEFAULT_VIEW, preset: '24h' }, NOW);
    expect(r).toEqual({ from: NOW - 86400_000, to: NOW });
    expect(viewRange({ ...DEFAULT_VIEW, preset: '1y' }, NOW).from).toBe(NOW - 365 * 86400_000);
  });
  it('swaps a reversed custom range', () => {
    const r = viewRange(
      {
        ...DEFAULT_VIEW,
        preset: 'custom',
        from: '2026-02-01T00:00:00.000Z',
        to: '2026-01-01T00:00:00.000Z',
      },
      NOW,
    );
    expect(r.from).toBeLessThan(r.to);
  });
});

describe('recipient search', () => {
  it('spells out what people type in the API grammar', () => {
    expect(normalizeRecipientQuery(' Bob@Example.COM ')).toBe('bob@example.com');
    expect(normalizeRecipientQuery('@example.com')).toBe('@example.com');
    expect(normalizeRecipientQuery('bob')).toBe('*bob*');
    expect(normalizeRecipientQuery('*bob*')).toBe('*bob*');
    expect(normalizeRecipientQuery('bob*')).toBe('bob*');
    expect(normalizeRecipientQuery('*@x.com')).toBe('*@x.com');
    expect(normalizeRecipientQuery('')).toBe('');
    expect(normalizeRecipientQuery(' @ ')).toBe('');
    expect(normalizeRecipientQuery('**')).toBe('');
  });
});

describe('filter for the core', () => {
  it('turns a view into absolute times and the core grammar', () => {
    const f = toFilter(
      {
        ...DEFAULT_VIEW,
        preset: '24h',
        status: ['bounced'],
        type: ['bounce', 'complaint'],
        recipient: 'Bob',
        tag: 'campaign=x',
        machine: 'only',
      },
      NOW,
    );
    expect(f).toEqual({
      from: '2026-11-27T12:00:00.000Z',
      to: '2026-11-28T12:00:00.000Z',
      status: ['bounced'],
      type: ['bounce', 'complaint'],
      recipient: '*bob*',
      tag: 'campaign=x',
      machine: 'only',
    });
    expect(toFilter({ ...DEFAULT_VIEW, recipient: '@' }, NOW).recipient).toBeUndefined();
    expect(toFilter({ ...DEFAULT_VIEW, tag: 'campaign' }, NOW).tag).toBeUndefined();
    expect(toFilter({ ...DEFAULT_VIEW, tag: '=x' }, NOW).tag).toBeUndefined();
  });
});
