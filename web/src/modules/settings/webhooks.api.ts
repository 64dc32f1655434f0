// Outbound webhooks (docs/api.md "Webhooks"): a workspace's endpoints, their deliveries and every
// attempt. Secrets come back only from create and rotate, shown once.
import { json } from '../../lib/api';
import type { Result } from '../../lib/types';

export const EVENT_TYPES = [
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
] as const;

export interface WebhookEndpoint {
  id: string;
  url: string;
  eventTypes: string[];
  description: string;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  secret?: string;
}
export interface WebhookAttempt {
  at: string;
  status: number | null;
  latencyMs: number;
  response: string;
  error: string;
  nextRetryAt: string | null;
}
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  eventId: string | null;
  type: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastLatencyMs: number | null;
  lastResponse: string;
  lastError: string;
  nextRetryAt: string | null;
  createdAt: string;
  attemptLog: WebhookAttempt[];
}
export interface WebhookChanges {
  url?: string;
  eventTypes?: string[];
  description?: string;
  enabled?: boolean;
}

const at = (id: string) => `/webhooks/${encodeURIComponent(id)}`;
export const fetchWebhooks = () => json<{ webhooks: WebhookEndpoint[] }>('GET', '/webhooks');
export const createWebhook = (url: string, eventTypes: string[], description: string) =>
  json<WebhookEndpoint>('POST', '/webhooks', { body: { url, eventTypes, description } });
export const updateWebhook = (id: string, c: WebhookChanges) =>
  json<WebhookEndpoint>('PATCH', at(id), { body: c });
export const deleteWebhook = (id: string): Promise<Result<void>> => json<void>('DELETE', at(id));
export const rotateWebhookSecret = (id: string) =>
  json<WebhookEndpoint>('POST', `${at(id)}/rotate-secret`);
export const testWebhook = (id: string) => json<{ deliveryId: string }>('POST', `${at(id)}/test`);
export const fetchDeliveries = (id: string, cursor?: string) =>
  json<{ deliveries: WebhookDelivery[]; next: string | null }>('GET', `${at(id)}/deliveries`, {
    query: { limit: '20', cursor },
  });
export const retryDelivery = (id: string, deliveryId: string) =>
  json<{ deliveryId: string }>(
    'POST',
    `${at(id)}/deliveries/${encodeURIComponent(deliveryId)}/retry`,
  );
