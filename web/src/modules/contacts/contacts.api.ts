// Topics and contacts (issue #20): the workspace's topics, each contact's choice per topic, CSV.
import { json, text } from '../../lib/api';
import type { Result } from '../../lib/types';

export type TopicStatus = 'subscribed' | 'unsubscribed';
export interface Topic {
  name: string;
  description: string;
  defaultSubscribed: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}
export interface ContactRow {
  address: string;
  choices: Record<string, TopicStatus>;
  createdAt: string | null;
  updatedAt: string | null;
}
export interface ContactPage {
  contacts: ContactRow[];
  next: string | null;
}
export interface Contact {
  address: string;
  topics: Record<string, TopicStatus>; // every topic: the choice made or the default
  choices: Record<string, TopicStatus>; // the explicit ones
  suppressed: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}
export interface CsvProblem {
  line: number;
  message: string;
}

export const listTopics = () => json<{ topics: Topic[] }>('GET', '/topics');
export const createTopic = (name: string, description: string, defaultSubscribed: boolean) =>
  json<Topic>('POST', '/topics', { body: { name, description, defaultSubscribed } });
export const updateTopic = (
  name: string,
  change: { description?: string; defaultSubscribed?: boolean },
) => json<Topic>('PATCH', `/topics/${encodeURIComponent(name)}`, { body: change });
export const deleteTopic = (name: string) =>
  json<unknown>('DELETE', `/topics/${encodeURIComponent(name)}`);

export function listContacts(
  contains: string,
  cursor?: string,
  limit = 100,
): Promise<Result<ContactPage>> {
  return json<ContactPage>('GET', '/contacts', {
    query: { contains, cursor, limit: String(limit) },
  });
}
export const getContact = (address: string) =>
  json<Contact>('GET', `/contacts/${encodeURIComponent(address)}`);
export const putContact = (address: string, topics: Record<string, TopicStatus>) =>
  json<Contact>('PUT', `/contacts/${encodeURIComponent(address)}`, { body: { topics } });
export const deleteContact = (address: string) =>
  json<unknown>('DELETE', `/contacts/${encodeURIComponent(address)}`);
export const exportContactsCsv = (): Promise<Result<string>> =>
  text('GET', '/contacts/export', { accept: 'text/csv' });
export const importContactsCsv = (csv: string) =>
  json<{ imported: number }>('POST', '/contacts/import', { body: csv, contentType: 'text/csv' });

/// The problems of a refused import, one line each ("line 3: not an email address: 'x'").
export function problemLines(details: Record<string, unknown> | undefined): string[] {
  const p = details?.problems;
  if (!Array.isArray(p)) return [];
  return p.map((x: CsvProblem) => `line ${x.line}: ${x.message}`);
}
