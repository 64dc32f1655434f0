import { json } from '../../lib/api';
import type { Result } from '../../lib/types';

export interface SendRequest { from: string; to: string[]; subject: string; text: string; correlationId?: string }
export interface SendResult { messageId: string; correlationId?: string; simulated?: boolean; [k: string]: unknown }

export function sendMail(req: SendRequest): Promise<Result<SendResult>> {
  return json<SendResult>('POST', '/mail', { body: req });
}
