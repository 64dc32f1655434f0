import { describe, expect, it } from 'vitest';
import {
  bucketFor,
  bucketLabel,
  formatTime,
  fromLocalInput,
  toLocalInput,
} from '../../src/lib/time';
import { level, rate, rateLevel, THRESHOLDS, formatRate } from '../../src/lib/rates';
import { csvCell, toCsv } from '../../src/lib/csv';
import { visibleWindow } from '../../src/lib/virtual';
import { formatHash, matchRoute, parseHash } from '../../src/lib/router';

describe('time', () => {
  it('chooses a bucket that keeps charts readable', () => {
    expect(bucketFor(24 * 3600_000)).toBe('hour');
    expect(bucketFor(7 * 86400_000)).toBe('day');
    expect(bucketFor(90 * 86400_000)).toBe('day');
    expect(bucketFor(365 * 86400_000)).toBe('week');
    expect(bucketFor(5 * 365 * 86400_000)).toBe('month');
  });
  it('labels buckets in UTC', () => {
    const t = Date.parse('2026-03-04T05:00:00Z');
    expect(bucketLabel(t, 'hour')).toBe('03-04 05h');
    expect(bucketLabel(t, 'day')).toBe('2026-03-04');
    expect(bucketLabel(t, 'month')).toBe('2026-03');
  });
  it('formats and reads datetime inputs as UTC', () => {
    expect(formatTime('2026-11-28T18:39:47.123Z')).toBe('2026-11-28 18:39:47 UTC');
    expect(toLocalInput('2026-11-28T18:39:47.123Z')).toBe('2026-11-28T18:39');
    expect(fromLocalInput('2026-11-28T18:39')).toBe('2026-11-28T18:39:00.000Z');
    expect(fromLocalInput('garbage')).toBeUndefined();
  });
});

describe('rates against SES thresholds', () => {
  it('levels bounce rates', () => {
    expect(level(0.01, THRESHOLDS.bounce)).toBe('ok');
    expect(level(0.04, THRESHOLDS.bounce)).toBe('near');
    expect(level(0.05, THRESHOLDS.bounce)).toBe('warning');
    expect(level(0.1, THRESHOLDS.bounce)).toBe('review');
  });
  it('levels complaint rates', () => {
    expect(level(0.0005, THRESHOLDS.complaint)).toBe('ok');
    expect(level(0.0009, THRESHOLDS.complaint)).toBe('near');
    expect(level(0.002, THRESHOLDS.complaint)).toBe('warning');
    expect(level(0.006, THRESHOLDS.complaint)).toBe('review');
  });
  it('treats nothing sent as a zero rate, and NaN as ok', () => {
    expect(rate(3, 0)).toBe(0);
    expect(rate(1, 4)).toBe(0.25);
    expect(level(NaN, THRESHOLDS.bounce)).toBe('ok');
    expect(formatRate(0.001)).toBe('0.100 %');
    expect(formatRate(0.0523)).toBe('5.23 %');
  });
});

describe("alert level from the core's rate", () => {
  it('trusts the core for warning and review, adds near before warning', () => {
    expect(rateLevel({ value: 0.06, level: 'warning' }, THRESHOLDS.bounce)).toBe('warning');
    expect(rateLevel({ value: 0.2, level: 'review' }, THRESHOLDS.bounce)).toBe('review');
    expect(rateLevel({ value: 0.045, level: 'ok' }, THRESHOLDS.bounce)).toBe('near');
    expect(rateLevel({ value: 0.01, level: 'ok' }, THRESHOLDS.bounce)).toBe('ok');
    expect(rateLevel({ value: null, level: 'ok' }, THRESHOLDS.complaint)).toBe('ok');
  });
});

describe('csv', () => {
  it('quotes what needs quoting and defuses formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
  });
  it('writes a header and CRLF-terminated rows', () => {
    expect(
      toCsv(
        ['address', 'reason'],
        [
          ['a@x.com', 'hard, bounce'],
          ['b@x.com', 'said "stop"'],
        ],
      ),
    ).toBe('address,reason\r\na@x.com,"hard, bounce"\r\nb@x.com,"said ""stop"""\r\n');
    expect(toCsv(['a'], [])).toBe('a\r\n');
  });
});

describe('virtual window', () => {
  it('renders only the rows in view plus overscan', () => {
    const w = visibleWindow(32 * 1000, 480, 32, 100_000, 8);
    expect(w.start).toBe(992);
    expect(w.end).toBe(1000 + 15 + 1 + 8);
    expect(w.offset).toBe(992 * 32);
    expect(w.total).toBe(3_200_000);
  });
  it('clamps at both ends', () => {
    expect(visibleWindow(0, 480, 32, 5)).toEqual({ start: 0, end: 5, offset: 0, total: 160 });
    const end = visibleWindow(1e9, 480, 32, 100);
    expect(end.end).toBe(100);
    expect(end.start).toBeLessThan(100);
    expect(visibleWindow(0, 480, 32, 0)).toEqual({ start: 0, end: 0, offset: 0, total: 0 });
  });
});

describe('hash router', () => {
  it('parses and formats paths with query', () => {
    const l = parseHash('#/events?status=bounced&range=24h');
    expect(l.path).toBe('/events');
    expect(l.params.get('status')).toBe('bounced');
    expect(parseHash('').path).toBe('/');
    expect(formatHash('/events', new URLSearchParams('a=1'))).toBe('#/events?a=1');
    expect(formatHash('/')).toBe('#/');
  });
  it('matches parameters and decodes them', () => {
    expect(matchRoute('/recipients/:address', '/recipients/bob%40x.com')).toEqual({
      address: 'bob@x.com',
    });
    expect(matchRoute('/recipients/:address', '/recipients/')).toBeNull();
    expect(matchRoute('/recipients/:address', '/messages/x')).toBeNull();
    expect(matchRoute('/recipients/:address', '/recipients/%E0%A4%A')).toBeNull();
  });
});
