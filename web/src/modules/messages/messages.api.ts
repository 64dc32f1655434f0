import { json } from '../../lib/api';
import type { DeliveryStatus, Result, SesEvent } from '../../lib/types';

/// One page of a message's history: up to 100 recipients and 100 events; `next` fetches the rest.
export interface MessageHistory {
  messageId: string;
  recipients: {
    recipient: string;
    status: DeliveryStatus;
    firstSeen?: string;
    lastSeen?: string;
  }[]; // by address
  events: SesEvent[]; // oldest first
  next: string | null; // cursor of the following page; null on the last
}

export function fetchMessage(id: string, cursor?: string): Promise<Result<MessageHistory>> {
  return json<MessageHistory>('GET', `/messages/${encodeURIComponent(id)}`, { query: { cursor } });
}
