// The suppression list: search, add, remove, CSV import and export.
import { json, text } from '../../lib/api';
import type { Result } from '../../lib/types';

export interface SuppressionEntry {
  address: string;
  reason: string;
  source: 'event' | 'manual' | 'import' | 'ses-sync';
  eventId: string | null;
  createdAt: string;
}
export interface SuppressionPage {
  entries: SuppressionEntry[];
  next: string | null;
  lastSync?: string | null;
}
export interface ImportReport {
  added: number;
  read: number;
  problems: { line: number; message: string }[];
}

export interface SuppressionFilter {
  contains: string;
  reason?: string;
  source?: string;
}
export function listSuppressions(
  f: SuppressionFilter | string,
  cursor?: string,
  limit = 100,
): Promise<Result<SuppressionPage>> {
  const { contains, reason, source } =
    typeof f === 'string' ? ({ contains: f } as SuppressionFilter) : f;
  return json<SuppressionPage>('GET', '/suppression-list', {
    query: { contains, reason, source, cursor, limit: String(limit) },
  });
}
/// PATCH /suppression-list/{address}: a new reason (the source and date stay).
export function setSuppressionReason(
  address: string,
  reason: string,
): Promise<Result<SuppressionEntry>> {
  return json<SuppressionEntry>('PATCH', `/suppression-list/${encodeURIComponent(address)}`, {
    body: { reason },
  });
}
export function addSuppression(address: string, reason: string): Promise<Result<unknown>> {
  return json('POST', '/suppression-list', { body: { address, reason } });
}
export function removeSuppression(address: string): Promise<Result<unknown>> {
  return json('DELETE', `/suppression-list/${encodeURIComponent(address)}`);
}
export function exportSuppressionsCsv(): Promise<Result<string>> {
  return text('GET', '/suppression-list', { query: { format: 'csv' }, accept: 'text/csv' });
}
export function importSuppressionsCsv(csv: string): Promise<Result<ImportReport>> {
  return json<ImportReport>('POST', '/suppression-list', { body: csv, contentType: 'text/csv' });
}

/// One synchronisation with SES's account-level suppression list (POST /suppression-list/sync),
/// or {"at": null} when there has been none.
export interface SyncChange {
  address: string;
  change: 'pulled' | 'pushed' | 'removed-local' | 'removed-remote' | string;
  reason: string;
}
export interface SyncRecord {
  at: string | null;
  trigger?: string; // "manual", "schedule"
  pulled?: number; // added here from SES
  pushed?: number; // added to SES from here
  removedLocal?: number;
  removedRemote?: number;
  errors?: unknown[]; // {address|null, operation, code, message}
  changes?: SyncChange[];
}
export const fetchLastSync = () => json<SyncRecord>('GET', '/suppression-list/sync');
export const syncNow = () => json<SyncRecord>('POST', '/suppression-list/sync');
