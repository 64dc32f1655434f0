// Email templates (docs/api.md, "Templates"): the workspace's stored templates — SESami's when it
// sends through the simulator, SES's own when it is connected — and the server's rendering.
import { json } from '../../lib/api';
import type { Result } from '../../lib/types';

export interface TemplateSummary {
  name: string;
  subject: string;
  createdAt: string | null;
  updatedAt: string | null;
}
export interface StoredTemplate extends TemplateSummary {
  text: string;
  html: string;
}
export interface TemplatePage {
  templates: TemplateSummary[];
  next: string | null;
  storedIn: 'sesami' | 'ses';
}
export interface TemplateInput {
  name: string;
  subject: string;
  text: string;
  html: string;
}

export function fetchTemplates(cursor?: string): Promise<Result<TemplatePage>> {
  return json<TemplatePage>('GET', '/templates', { query: { limit: '100', cursor } });
}

export function fetchTemplate(name: string): Promise<Result<StoredTemplate>> {
  return json<StoredTemplate>('GET', `/templates/${encodeURIComponent(name)}`);
}

export function saveTemplate(t: TemplateInput, isNew: boolean): Promise<Result<StoredTemplate>> {
  return isNew
    ? json<StoredTemplate>('POST', '/templates', { body: t })
    : json<StoredTemplate>('PUT', `/templates/${encodeURIComponent(t.name)}`, {
        body: { subject: t.subject, text: t.text, html: t.html },
      });
}

export function deleteTemplate(name: string): Promise<Result<void>> {
  return json<void>('DELETE', `/templates/${encodeURIComponent(name)}`);
}

/// SES's rule for a template name.
export const TEMPLATE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
