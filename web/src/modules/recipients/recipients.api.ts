import { json } from '../../lib/api';
import type { DeliveryStatus, Result, SesEvent } from '../../lib/types';

export interface RecipientMessage { messageId: string; recipient: string; status: DeliveryStatus; firstSeen: string; lastSeen: string }
export interface RecipientHistory {
  address: string;
  status: DeliveryStatus | null; // the highest over all messages
  suppressed: string | null; // the reason, when on the suppression list
  messages: RecipientMessage[];
  events: SesEvent[]; // newest first
}

/// One recipient's story; an address SESami has never seen is an empty history, not an error.
export async function fetchRecipient(address: string): Promise<Result<RecipientHistory>> {
  const r = await json<RecipientHistory>('GET', `/recipients/${encodeURIComponent(address)}`);
  if (!r.ok && r.error.status === 404)
    return { ok: true, value: { address: address.toLowerCase(), status: null, suppressed: null, messages: [], events: [] } };
  return r;
}
