import { json } from '../../lib/api';
import type { DeliveryStatus, Result, SesEvent } from '../../lib/types';

export interface RecipientMessage {
  messageId: string;
  recipient: string;
  status: DeliveryStatus;
  firstSeen: string;
  lastSeen: string;
}
/// One page of a recipient's history: up to 100 messages and 100 events; `next` fetches the rest.
export interface RecipientHistory {
  address: string;
  status: DeliveryStatus | null; // the highest over all messages (not only this page's)
  suppressed: string | null; // the reason, when on the suppression list
  messages: RecipientMessage[]; // newest first
  events: SesEvent[]; // newest first
  next: string | null; // cursor of the following page; null on the last
}

/// One recipient's story (its first page, or the page at `cursor`); an address SESami has never
/// seen is an empty history, not an error.
export async function fetchRecipient(
  address: string,
  cursor?: string,
): Promise<Result<RecipientHistory>> {
  const r = await json<RecipientHistory>('GET', `/recipients/${encodeURIComponent(address)}`, {
    query: { cursor },
  });
  if (!r.ok && r.error.status === 404 && !cursor)
    return {
      ok: true,
      value: {
        address: address.toLowerCase(),
        status: null,
        suppressed: null,
        messages: [],
        events: [],
        next: null,
      },
    };
  return r;
}
