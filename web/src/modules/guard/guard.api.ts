// The reputation guard and alerts (docs/api.md "Reputation guard", "Alerts").
import { json } from '../../lib/api';

export interface ReputationWindow {
  window: string;
  sends: number;
  bounces: number;
  complaints: number;
  bounceRate: number | null;
  complaintRate: number | null;
  judged: boolean;
}
export interface ReputationSettings {
  bounceWarning: number;
  bouncePause: number;
  complaintWarning: number;
  complaintPause: number;
  minSends: number;
  pauseSingleSends: boolean;
  softBounceLimit: number;
  softBounceDays: number;
  alertFrom: string;
}
export interface Reputation {
  status: 'ok' | 'warning' | 'paused';
  bounceRate: number | null;
  complaintRate: number | null;
  sends: number;
  window: string;
  since: string | null;
  reason: string | null;
  windows: ReputationWindow[];
  levels: ReputationSettings;
  pausedAt: string | null;
  resumedAt: string | null;
  resumedBy: string | null;
}
export interface Alert {
  id: string;
  kind: string;
  summary: string;
  detail: string;
  action: string;
  since: string;
  createdAt: string;
  read: boolean;
  readAt: string | null;
  open: boolean;
  resolvedAt: string | null;
  mailedAt: string | null;
}

export const fetchReputation = () => json<Reputation>('GET', '/reputation');
export const resumeSending = () => json<Reputation>('POST', '/reputation/resume');
export const fetchAlerts = () =>
  json<{ alerts: Alert[]; unread: number }>('GET', '/alerts', { query: { limit: '20' } });
export const markAlertRead = (id: string) =>
  json<{ marked: number; unread: number }>('POST', `/alerts/${encodeURIComponent(id)}/read`);
export const markAllAlertsRead = () =>
  json<{ marked: number; unread: number }>('POST', '/alerts/read');
