// The payload types: normalized events and aggregations come from the wasm package (@sesami/core),
// the one definition the browser, the HTTP API and the package share. What is only the app's
// (its filter state, API errors) lives below.
import type { DeliveryStatus, EventType } from '@sesami/core';
export type {
  Aggregation,
  Bucket,
  DeliveryStatus,
  Diagnostic,
  EventType,
  Engagement,
  Rate,
  SesEvent,
  ThresholdRate,
} from '@sesami/core';

/// In the core's order (include/sesami/event.hpp): the columnar batch stores these indices.
export const EVENT_TYPES: readonly EventType[] = [
  'send',
  'delivery',
  'bounce',
  'complaint',
  'open',
  'click',
  'reject',
  'delivery_delay',
  'rendering_failure',
  'subscription',
  'unknown',
];
/// In the core's precedence order: a recipient's status is the highest of its events' statuses.
export const STATUSES: readonly DeliveryStatus[] = [
  'sent',
  'delayed',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'complained',
  'rejected',
  'failed',
];
/// batch flags bits 1..3 (include/sesami/batch.hpp).
export const BOUNCE_CLASSES = ['', 'hard', 'soft', 'suppressed', 'undetermined'] as const;

export type MachineMode = 'include' | 'exclude' | 'only';

/// The filter the API's GET /events takes and the wasm core applies locally.
export interface EventFilter {
  from?: string; // ISO 8601, inclusive
  to?: string; // exclusive
  status: DeliveryStatus[];
  type: EventType[];
  recipient?: string; // exact address, *part*, part*, *part or @domain
  messageId?: string;
  tag?: string; // name=value
  machine: MachineMode;
}

export interface ApiError {
  status: number; // HTTP status; 0 when the request never reached the server
  code: string; // stable id: "sesami.bad_filter", "auth.unauthenticated", "network"
  message: string;
  details?: Record<string, unknown>; // the error body's other fields
}
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };
