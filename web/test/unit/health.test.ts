// The health strip's and Sources' wording: how long ago, through what, for how long.
import { describe, expect, it } from 'vitest';
import { ago, via, windowText } from '../../src/modules/health/health.api';

describe('health wording', () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  it('says how long ago an event came', () => {
    expect(ago(null, now)).toBe('never');
    expect(ago('2026-12-07T11:59:40Z', now)).toBe('just now');
    expect(ago('2026-12-07T11:57:00Z', now)).toBe('3 min ago');
    expect(ago('2026-12-07T09:55:00Z', now)).toBe('2 h 5 min ago');
    expect(ago('2026-12-07T10:00:00Z', now)).toBe('2 h ago');
    expect(ago('2026-12-04T12:00:00Z', now)).toBe('3 days ago');
    expect(ago('2026-12-07T12:05:00Z', now)).toBe('just now'); // a clock a little ahead
  });
  it('names the source kind and the window', () => {
    expect(via('sqs')).toBe('SQS');
    expect(via('event-bus')).toBe('the event bus');
    expect(windowText(null)).toBe('not watched');
    expect(windowText(45)).toBe('45 min');
    expect(windowText(120)).toBe('2 h');
    expect(windowText(1440)).toBe('1 day');
    expect(windowText(2880)).toBe('2 days');
  });
});
