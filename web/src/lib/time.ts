// Chart buckets and labels. Buckets are UTC, like the core's aggregation.
import type { Bucket } from './types';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/// The bucket that gives a readable chart for a range: roughly 24 to 200 points.
export function bucketFor(rangeMs: number): Bucket {
  if (rangeMs <= 3 * DAY) return 'hour';
  if (rangeMs <= 180 * DAY) return 'day';
  if (rangeMs <= 3 * 365 * DAY) return 'week';
  return 'month';
}

/// A bucket's label on the chart's x axis.
export function bucketLabel(startMs: number, bucket: Bucket): string {
  const iso = new Date(startMs).toISOString();
  switch (bucket) {
    case 'hour':
      return `${iso.slice(5, 10)} ${iso.slice(11, 13)}h`;
    case 'day':
    case 'week':
      return iso.slice(0, 10);
    case 'month':
      return iso.slice(0, 7);
  }
}

/// "2026-11-28T18:39:47.000Z" → "2026-11-28 18:39:47 UTC" for tables.
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') + ' UTC';
}

/// An ISO instant as the value of <input type="datetime-local"> (UTC, minutes).
export function toLocalInput(iso: string | undefined): string {
  return iso ? iso.slice(0, 16) : '';
}
/// The inverse of toLocalInput; undefined for an empty or invalid input.
export function fromLocalInput(v: string): string | undefined {
  if (!v) return undefined;
  const t = Date.parse(v + 'Z');
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
