import { json } from '../../lib/api';
import type { DeliveryStatus, Result, SesEvent } from '../../lib/types';

export interface MessageHistory {
  messageId: string;
  recipients: { recipient: string; status: DeliveryStatus; firstSeen?: string; lastSeen?: string }[];
  events: SesEvent[]; // oldest first
}

export function fetchMessage(id: string): Promise<Result<MessageHistory>> {
  return json<MessageHistory>('GET', `/messages/${encodeURIComponent(id)}`);
}
