// One Idempotency-Key per compose, so that a double click, a retry after a lost answer or a
// resubmission of the same mail never sends it twice: the server answers a repeated key with the
// first request's answer instead of sending again.
//
// The lifecycle:
//   - a new compose gets a fresh key;
//   - while a request is in flight, another submit sends nothing (double click);
//   - the same content again, after a send or an unknown outcome (network error, 5xx, 429),
//     reuses the key: if the first request went through, the server replays it;
//   - different content after a send or an unknown outcome is a different mail: a new key;
//   - after a definite refusal (4xx: validation, all suppressed, forbidden) nothing was sent, so
//     the next attempt gets a new key whatever the content;
//   - "New message" starts a new compose: a new key.
import type { ApiError, Result } from '../../lib/types';

export type Outcome = 'sent' | 'refused' | 'unknown';

/// 128 random bits as 32 hex digits. crypto.getRandomValues works on plain http too, where
/// crypto.randomUUID does not (it needs a secure context).
export function newIdempotencyKey(
  random: (a: Uint8Array) => Uint8Array = (a) => crypto.getRandomValues(a),
): string {
  const b = random(new Uint8Array(16));
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/// Server errors that say for certain nothing was sent (the role may not send, no connection).
const CERTAINLY_UNSENT = new Set([
  'mail.not_authorized',
  'mail.not_connected',
  'aws.not_connected',
]);

/// What a POST /mail answer means for the key.
export function outcomeOf(r: Result<unknown> | { ok: false; error: ApiError }): Outcome {
  if (r.ok) return 'sent';
  const { status: s, code } = r.error;
  if (CERTAINLY_UNSENT.has(code)) return 'refused';
  // 0: never reached the server or the answer was lost; 408; 409 (a request with this key is
  // still running); 429 / 503 throttled (the server frees the key: a retry may send); other 5xx:
  // SES may have sent it — the server answers a retry with the same key with the first answer.
  if (s === 0 || s === 408 || s === 409 || s === 429 || s >= 500) return 'unknown';
  return 'refused';
}

export class ComposeKey {
  private key: string;
  private lastContent: string | null = null;
  private last: Outcome | null = null;
  private inFlight = false;

  constructor(private readonly make: () => string = newIdempotencyKey) {
    this.key = make();
  }

  /// The key for a submit of `content` (the request body, serialised), or null when a request of
  /// this compose is still in flight and nothing must be sent.
  begin(content: string): string | null {
    if (this.inFlight) return null;
    if (this.last === 'refused' || (this.last !== null && content !== this.lastContent))
      this.key = this.make();
    this.lastContent = content;
    this.inFlight = true;
    return this.key;
  }

  /// The in-flight request's answer.
  settle(outcome: Outcome): void {
    this.inFlight = false;
    this.last = outcome;
  }

  /// A new compose.
  reset(): void {
    this.key = this.make();
    this.lastContent = null;
    this.last = null;
    this.inFlight = false;
  }

  get busy(): boolean {
    return this.inFlight;
  }
  get current(): string {
    return this.key;
  }
}
