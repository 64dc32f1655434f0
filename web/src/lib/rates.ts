// SES's account-level reputation thresholds (USERS.md #9): above "warning" SES puts the account
// under review-risk, above "review" it may pause sending. We warn a little before the warning line.
export interface Threshold {
  warning: number;
  review: number;
}
export const THRESHOLDS: { bounce: Threshold; complaint: Threshold } = {
  bounce: { warning: 0.05, review: 0.1 },
  complaint: { warning: 0.001, review: 0.005 },
};
/// "Near" starts at this share of the warning threshold.
export const NEAR = 0.8;

export type Level = 'ok' | 'near' | 'warning' | 'review';

export function level(rate: number, t: Threshold): Level {
  if (!(rate >= 0)) return 'ok';
  // A tolerance so that exactly 4 % (0.05 × 0.8 is 0.04000000000000001 in binary) reads as near.
  const eps = 1e-12;
  if (rate >= t.review - eps) return 'review';
  if (rate >= t.warning - eps) return 'warning';
  if (rate >= t.warning * NEAR - eps) return 'near';
  return 'ok';
}

/// A rate as SES computes it: bounces (or complaints) over sends; 0 when nothing was sent.
export function rate(part: number, sent: number): number {
  return sent > 0 ? part / sent : 0;
}

/// "0.123 %" with enough digits to compare with 0.1 % thresholds.
export function formatRate(r: number): string {
  const pct = r * 100;
  return `${pct < 1 ? pct.toFixed(3) : pct.toFixed(2)} %`;
}

/// The core reports ok / warning / review exactly (integer arithmetic); "near" is ours, so the
/// alert comes before SES's.
export function rateLevel(
  r: { value: number | null; level?: 'ok' | 'warning' | 'review' },
  t: Threshold,
): Level {
  if (r.level === 'review' || r.level === 'warning') return r.level;
  if (r.value === null) return 'ok';
  const l = level(r.value, t);
  return l === 'near' ? 'near' : r.level ? 'ok' : l;
}
