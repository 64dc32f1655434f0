// Sending (docs/api.md, "Sending"): POST /mail, the attempts it records, and the events of the
// message it sent.
import { json } from '../../lib/api';
import type { Result, SesEvent } from '../../lib/types';

export interface SendRequest {
  from: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  text?: string;
  html?: string;
  template?: string; // a stored template, rendered as SES renders it
  templateData?: Record<string, unknown>;
  tags?: Record<string, string>;
  correlationId?: string;
}
export interface Suppressed {
  address: string;
  reason: string;
}
export interface SendResult {
  messageId: string;
  transport: 'ses' | 'simulator';
  attemptId: string;
  sent: string[];
  suppressed: Suppressed[]; // recipients left out: on the suppression list
  correlationId: string | null;
}

export type AttemptStatus = 'sent' | 'failed' | 'suppressed' | 'queued';
export interface MailAttempt {
  id: string;
  createdAt: string;
  transport: 'ses' | 'simulator' | string;
  status: AttemptStatus;
  messageId: string | null;
  error: { code: string; message: string } | null;
  recipients: string[];
  suppressed: (Suppressed | string)[];
  correlationId: string | null;
  subject: string | null;
}
export interface AttemptsPage {
  attempts: MailAttempt[];
  next: string | null;
}

export function sendMail(req: SendRequest, idempotencyKey: string): Promise<Result<SendResult>> {
  return json<SendResult>('POST', '/mail', {
    body: req,
    headers: { 'Idempotency-Key': idempotencyKey },
  });
}

export function fetchAttempts(cursor?: string, limit = 20): Promise<Result<AttemptsPage>> {
  return json<AttemptsPage>('GET', '/mail/attempts', { query: { limit: String(limit), cursor } });
}

/// Every event stored for one message so far (a test mail has a handful).
export function fetchMessageEvents(
  messageId: string,
  signal?: AbortSignal,
): Promise<Result<{ events: SesEvent[]; next: string | null }>> {
  return json('GET', '/events', { query: { messageId, limit: '500' }, signal });
}
