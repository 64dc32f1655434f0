// The payload types of the SESami core, written by hand from the C++ writers they describe:
// include/sesami/to_json.hpp (normalized events, docs/events.md) and aggregate_json.hpp
// (aggregations, docs/columnar.md). The web app imports them from here, so the browser, the
// HTTP API and this package share one definition.

/** SES event types, plus `unknown` for documents kept but not understood. */
export type EventType =
  | 'send'
  | 'delivery'
  | 'bounce'
  | 'complaint'
  | 'open'
  | 'click'
  | 'reject'
  | 'delivery_delay'
  | 'rendering_failure'
  | 'subscription'
  | 'unknown';

/** Per (message, recipient) status, in precedence order: the highest one seen wins. */
export type DeliveryStatus =
  | 'sent'
  | 'delayed'
  | 'delivered'
  | 'opened'
  | 'clicked'
  | 'bounced'
  | 'complained'
  | 'rejected'
  | 'failed';

/** Our classification of a bounce ('' when the event is not a bounce). */
export type BounceClass = 'hard' | 'soft' | 'suppressed' | 'undetermined';

/** SES tags: name → values. */
export type Tags = Record<string, string[]>;

export interface BounceDetails {
  type: string;
  subType: string;
  class: BounceClass | '';
  diagnosticCode: string;
  status: string;
  action: string;
  reportingMTA: string;
  feedbackId: string;
}
export interface ComplaintDetails {
  feedbackType: string;
  subType: string;
  userAgent: string;
  feedbackId: string;
}
export interface DeliveryDetails {
  smtpResponse: string;
  processingTimeMillis: number;
  reportingMTA: string;
  remoteMtaIp: string;
}
export interface OpenDetails {
  ipAddress: string;
  userAgent: string;
  machine: boolean;
  machineReason: string;
}
export interface ClickDetails {
  link: string;
  ipAddress: string;
  userAgent: string;
  linkTags: Tags;
  machine: boolean;
  machineReason: string;
}
export interface DelayDetails {
  type: string;
  expirationTime: string | null;
  status: string;
  diagnosticCode: string;
  reportingMTA: string;
}
export interface RejectDetails {
  reason: string;
}
export interface FailureDetails {
  templateName: string;
  errorMessage: string;
}
export interface SubscriptionDetails {
  contactList: string;
  source: string;
  newTopicPreferences: unknown;
  oldTopicPreferences: unknown;
}

/** One normalized event: one per affected recipient. Keys in the order `sesami parse` prints. */
export interface SesEvent {
  /** The deterministic identity (32 hex digits), the key for deduplication. */
  id: string;
  messageId: string;
  type: EventType;
  /** Lower-cased address; null when SES did not say which recipient (see destinations). */
  recipient: string | null;
  /** Present only when recipient is null: every destination of the mail. */
  destinations?: string[];
  /** ISO 8601, UTC, milliseconds: "2016-10-19T23:20:52.240Z". */
  timestamp: string;
  sentAt: string | null;
  sender: string;
  subject: string;
  tags: Tags;
  configurationSet: string;
  source: { shape: string; snsMessageId: string | null };
  bounce?: BounceDetails;
  complaint?: ComplaintDetails;
  delivery?: DeliveryDetails;
  open?: OpenDetails;
  click?: ClickDetails;
  delay?: DelayDetails;
  reject?: RejectDetails;
  failure?: FailureDetails;
  subscription?: SubscriptionDetails;
  /** The original document, for unknown events only. */
  raw?: string;
}

/** One rejected item of the input; parsing goes on after it. */
export interface Diagnostic {
  /** 1-based line where the item starts (JSON Lines), or of the syntax error. */
  line: number;
  /** Position in a top-level JSON array, else null. */
  index: number | null;
  /** Where inside the document: "Records[2].Sns.Message". */
  path: string;
  /** The core's stable error id: "sesami.missing_field". */
  code: string;
  message: string;
}

export interface ParseResult {
  events: SesEvent[];
  diagnostics: Diagnostic[];
  /** Items seen: lines, array elements, or 1. */
  documents: number;
  /** Valid items that are not events (subscription confirmations ...). */
  skipped: number;
}

/** A time as ms since the epoch, a Date, or an ISO 8601 string. */
export type TimeInput = number | Date | string;

/**
 * Which events to keep: the same criteria as GET /events' query string. Lists mean "any of";
 * different criteria must all match.
 */
export interface Filter {
  /** Inclusive start, exclusive end. */
  from?: TimeInput;
  to?: TimeInput;
  types?: EventType[];
  /** Every event of the (message, recipient) pairs whose overall status is one of these. */
  statuses?: DeliveryStatus[];
  /** "a@b.com" exact, "*part*" contains, "part*" prefix, "*part" suffix, "@b.com" domain. */
  recipients?: string[];
  messageIds?: string[];
  /** name → value or values; names must all match, values of one name are alternatives. */
  tags?: Record<string, string | string[]>;
  configurationSets?: string[];
  /** Machine opens and clicks (privacy proxies, scanners): include (default), exclude, only. */
  machine?: 'include' | 'exclude' | 'only';
}

/** A filter as an object, or as a query string / URLSearchParams ("type=open&machine=exclude"). */
export type FilterInput = Filter | string | URLSearchParams;

export type Bucket = 'hour' | 'day' | 'week' | 'month';

export interface AggregateOptions {
  bucket?: Bucket;
  /** Buckets follow UTC + this fixed offset (−840 … 840): local days and weeks. */
  offsetMinutes?: number;
  /** The span the series cover (empty buckets included); default: the filter's, else the events'. */
  from?: TimeInput;
  to?: TimeInput;
  /** Length of the top-links and top-domains lists (default 10). */
  top?: number;
  /** Select these events first; without it, the batch's current selection. */
  filter?: FilterInput;
}

export interface Rate {
  /** numerator / denominator, rounded to parts per million; null without a denominator. */
  value: number | null;
  numerator: number;
  denominator: number;
}
export interface ThresholdRate extends Rate {
  warning: number;
  review: number;
  level: 'ok' | 'warning' | 'review';
}
export interface Engagement {
  total: number;
  human: number;
  machine: number;
  unique: number;
  uniqueHuman: number;
}

/** What `sesami aggregate`, GET /stats and Batch.aggregate return: chart series and totals. */
export interface Aggregation {
  bucket: Bucket;
  offsetMinutes: number;
  /** Events selected. */
  events: number;
  series: {
    /** Each bucket's local start: "2026-03-01T00:00:00.000Z" or "...+01:00". */
    labels: string[];
    types: Record<EventType, number[]>;
    machineOpens: number[];
    machineClicks: number[];
  };
  totals: Record<EventType, number>;
  opens: Engagement;
  clicks: Engagement;
  statuses: Record<DeliveryStatus, number>;
  bounceClasses: Record<BounceClass, number>;
  rates: {
    sent: number;
    delivered: number;
    simulatorEventsExcluded: number;
    delivery: Rate;
    bounce: ThresholdRate;
    complaint: ThresholdRate;
    open: Rate;
    click: Rate;
  };
  topLinks: { link: string; clicks: number; humanClicks: number; uniqueClicks: number }[];
  topBouncingDomains: { domain: string; bounces: number; hardBounces: number }[];
}

/** Verdict on an open or a click. */
export interface MachineVerdict {
  machine: boolean;
  /** "" for a person, else a stable id: "apple-mpp", "security-scanner", "too-fast" ... */
  reason: string;
}

/** Columns of a batch, by name: one entry per event (pairStatus: one per message-recipient pair). */
export interface Columns {
  timestamp: BigInt64Array;
  type: Uint8Array;
  flags: Uint8Array;
  message: Uint32Array;
  recipient: Uint32Array;
  domain: Uint32Array;
  link: Uint32Array;
  configurationSet: Uint32Array;
  sender: Uint32Array;
  subject: Uint32Array;
  pair: Uint32Array;
  pairLink: Uint32Array;
  pairStatus: Uint8Array;
  tagOffsets: Uint32Array;
  tagIds: Uint32Array;
}
export type ColumnName = keyof Columns;

/** The string dictionaries that id columns index; entry 0 is "" (absent). Tags read "name=value". */
export type DictionaryName =
  | 'message'
  | 'recipient'
  | 'domain'
  | 'link'
  | 'configurationSet'
  | 'sender'
  | 'subject'
  | 'tag';

/** An email template: SES's three parts, each Handlebars text (docs/api.md "Templates"). */
export interface EmailTemplate {
  subject: string;
  text?: string;
  html?: string;
}

/** A template rendered with SES's rules, as POST /templates/{name}/render answers. */
export interface RenderedTemplate {
  subject: string;
  text: string;
  html: string;
  /** Variables the template prints that the data lacks (SES would not deliver the mail). */
  missing: string[];
}
